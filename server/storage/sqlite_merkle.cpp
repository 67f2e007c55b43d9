#include "storage/sqlite_merkle.hpp"

#include "consent/log/merkle_spans.hpp"
#include "consent/log/merkle_tiles.hpp"
#include "storage/sqlite_merkle_tiles.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace consent::server::sqlite {
namespace {

using merkle::Hash;

using merkle::Span;  // the span arithmetic is the core's (merkle_spans.hpp)

Error bad_request(const std::string& message) { return make_error("storage.bad_proof_request", message); }

// Reads the nodes a root or proof folds: from the tile that holds a node when
// that tile is complete in a log of `tiled_size` leaves (each tile read once per
// proof), otherwise from merkle_nodes. A tiled_size of 0 reads nodes only, as
// the audit does: what it compares must come from the record itself.
class NodeReader {
public:
    NodeReader(Connection& connection, std::uint64_t tiled_size) : connection_(connection), tiled_size_(tiled_size) {}

    Result<Hash> node(std::uint64_t level, std::uint64_t index) {
        const merkle::TileSlot slot = merkle::tile_slot(level, index);
        if (!merkle::tile_complete(slot.tile, tiled_size_)) return read_node(connection_, level, index);
        for (const auto& [position, hashes] : tiles_)
            if (position.level == slot.tile.level && position.index == slot.tile.index) return hashes[slot.offset];
        auto tile = read_tile(connection_, slot.tile);
        if (!tile) return tile.error();
        tiles_.emplace_back(slot.tile, std::move(*tile));
        return tiles_.back().second[slot.offset];
    }

private:
    Connection& connection_;
    std::uint64_t tiled_size_;
    std::vector<std::pair<merkle::TilePosition, std::vector<Hash>>> tiles_;  // a proof touches a handful
};

// MTH(D[start:start + size]) from the stored nodes merkle::span_parts names.
Result<Hash> span_root(NodeReader& reader, const Span& span) {
    std::vector<Hash> parts;
    for (const auto& position : merkle::span_parts(span)) {
        auto node = reader.node(position.level, position.index);
        if (!node) return node.error();
        parts.push_back(*node);
    }
    return merkle::fold_span_parts(parts);
}

Result<std::vector<Hash>> span_roots(NodeReader& reader, const std::vector<Span>& spans) {
    std::vector<Hash> hashes;
    hashes.reserve(spans.size());
    for (const Span& span : spans) {
        auto root = span_root(reader, span);
        if (!root) return root.error();
        hashes.push_back(*root);
    }
    return hashes;
}

// Sizes and indexes arrive from callers as int64: negative is a bad request,
// and a tree larger than the log cannot be proved yet.
// The log's size is returned: every tile complete at it is stored.
Result<std::uint64_t> check_size(Connection& connection, std::int64_t size, const char* name) {
    if (size < 0) return bad_request(std::string(name) + " " + std::to_string(size) + " is negative");
    auto current = log_size(connection);
    if (!current) return current.error();
    if (size > *current)
        return bad_request(std::string(name) + " " + std::to_string(size) + " is beyond the log, which has " +
                           std::to_string(*current) + " receipts");
    return static_cast<std::uint64_t>(*current);
}

}  // namespace

Error log_mismatch(std::int64_t level, std::int64_t index, const std::string& what) {
    return make_error("storage.log_mismatch", "the Merkle node at level " + std::to_string(level) + ", index " +
                                                  std::to_string(index) + " " + what);
}

std::optional<merkle::Hash> hash_column(const Statement& row, int column) {
    const std::vector<std::uint8_t> bytes = row.blob(column);
    if (bytes.size() != kSha256Size) return std::nullopt;
    merkle::Hash hash{};
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
}

Result<merkle::Hash> read_node(Connection& connection, std::uint64_t level, std::uint64_t index) {
    auto statement = connection.prepare("SELECT hash FROM merkle_nodes WHERE level = ?1 AND idx = ?2");
    if (!statement) return statement.error();
    const auto l = static_cast<std::int64_t>(level);
    const auto i = static_cast<std::int64_t>(index);
    auto row = statement.value().bind(1, l).bind(2, i).step();
    if (!row) return row.error();
    if (!*row) return log_mismatch(l, i, "is missing");
    auto hash = hash_column(statement.value(), 0);
    if (!hash) return log_mismatch(l, i, "is not a 32-byte hash");
    return *hash;
}

Result<std::int64_t> log_size(Connection& connection) {
    return connection.query_int64("SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts");
}

Result<merkle::Frontier> load_frontier(Connection& connection, std::int64_t size) {
    std::vector<Hash> parts;
    for (const auto& position : merkle::frontier_positions(static_cast<std::uint64_t>(size))) {
        auto node = read_node(connection, position.level, position.index);
        if (!node) return node.error();
        parts.push_back(*node);
    }
    return merkle::Frontier::from_parts(static_cast<std::uint64_t>(size), std::move(parts));
}

Result<merkle::Hash> stored_root(Connection& connection, std::int64_t size) {
    NodeReader nodes_only(connection, 0);
    return span_root(nodes_only, Span{0, static_cast<std::uint64_t>(size)});
}

Result<merkle::Hash> root_at(Connection& connection, std::int64_t size) {
    auto log = check_size(connection, size, "tree size");
    if (!log) return log.error();
    NodeReader reader(connection, *log);
    return span_root(reader, Span{0, static_cast<std::uint64_t>(size)});
}

Result<std::vector<merkle::Hash>> inclusion_proof(Connection& connection, std::int64_t index, std::int64_t size) {
    if (index < 0) return bad_request("leaf index " + std::to_string(index) + " is negative");
    if (index >= size)
        return bad_request("leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
    auto log = check_size(connection, size, "tree size");
    if (!log) return log.error();
    NodeReader reader(connection, *log);
    return span_roots(reader,
                      merkle::inclusion_spans(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(size)));
}

Result<std::vector<merkle::Hash>> consistency_proof(Connection& connection, std::int64_t from, std::int64_t to) {
    // RFC 9162 §2.1.4.1 defines consistency for 0 < m only: an empty old tree commits to nothing.
    if (from <= 0)
        return bad_request("old tree size " + std::to_string(from) +
                           " is not positive: a consistency proof starts "
                           "from a tree of at least one leaf");
    if (from > to)
        return bad_request("old tree size " + std::to_string(from) + " is larger than tree size " + std::to_string(to));
    auto log = check_size(connection, to, "tree size");
    if (!log) return log.error();
    NodeReader reader(connection, *log);
    return span_roots(reader,
                      merkle::consistency_spans(static_cast<std::uint64_t>(from), static_cast<std::uint64_t>(to)));
}

}  // namespace consent::server::sqlite
