#include "storage/pg_merkle.hpp"

#include "consent/log/merkle_spans.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace consent::server::pg {
namespace {

using merkle::Hash;

using merkle::Span;  // the span arithmetic is the core's (merkle_spans.hpp)

using Position = std::pair<std::uint64_t, std::uint64_t>;  // (level, index)

Error bad_request(const std::string& message) { return make_error("storage.bad_proof_request", message); }

Error log_mismatch(std::uint64_t level, std::uint64_t index, const std::string& what) {
    return make_error("storage.log_mismatch", "the Merkle node at level " + std::to_string(level) + ", index " +
                                                  std::to_string(index) + " " + what);
}

// The stored nodes merkle::span_parts names, as map keys.
std::vector<Position> part_positions(const Span& span) {
    std::vector<Position> parts;
    for (const auto& p : merkle::span_parts(span)) parts.emplace_back(p.level, p.index);
    return parts;
}

Result<std::map<Position, Hash>> read_nodes(Connection& c, const std::vector<Position>& positions) {
    std::map<Position, Hash> nodes;
    if (positions.empty()) return nodes;
    std::vector<std::int64_t> levels, indexes;
    for (const auto& p : positions) {
        levels.push_back(static_cast<std::int64_t>(p.first));
        indexes.push_back(static_cast<std::int64_t>(p.second));
    }
    auto rows = c.query(
        "SELECT n.level, n.idx, n.hash FROM merkle_nodes n "
        "JOIN unnest($1::integer[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
        {int_array(levels), int_array(indexes)});
    if (!rows) return rows.error();
    for (int r = 0; r < rows->size(); ++r) {
        const Position p{static_cast<std::uint64_t>(rows->int64(r, 0)), static_cast<std::uint64_t>(rows->int64(r, 1))};
        auto hash = as_hash(rows->bytes(r, 2));
        if (!hash) return log_mismatch(p.first, p.second, "is not a 32-byte hash");
        nodes.emplace(p, *hash);
    }
    for (const auto& p : positions)
        if (nodes.count(p) == 0) return log_mismatch(p.first, p.second, "is missing");
    return nodes;
}

// MTH of each span (merkle::fold_span_parts), with one read for all their nodes.
Result<std::vector<Hash>> span_roots(Connection& c, const std::vector<Span>& spans) {
    std::vector<Position> wanted;
    for (const Span& s : spans) {
        const auto parts = part_positions(s);
        wanted.insert(wanted.end(), parts.begin(), parts.end());
    }
    auto nodes = read_nodes(c, wanted);
    if (!nodes) return nodes.error();
    std::vector<Hash> roots;
    for (const Span& s : spans) {
        std::vector<Hash> hashes;
        for (const auto& part : part_positions(s)) hashes.push_back(nodes->at(part));
        const Hash root = merkle::fold_span_parts(hashes);
        roots.push_back(root);
    }
    return roots;
}

Status check_size(Connection& c, std::int64_t size, const char* name) {
    if (size < 0) return bad_request(std::string(name) + " " + std::to_string(size) + " is negative");
    auto current = log_size(c);
    if (!current) return current.error();
    if (size > *current)
        return bad_request(std::string(name) + " " + std::to_string(size) + " is beyond the log, which has " +
                           std::to_string(*current) + " receipts");
    return Unit{};
}

}  // namespace

std::optional<merkle::Hash> as_hash(const std::optional<std::vector<std::uint8_t>>& bytes) {
    if (!bytes || bytes->size() != kSha256Size) return std::nullopt;
    merkle::Hash hash{};
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    return hash;
}

Result<std::int64_t> log_size(Connection& c) {
    auto rows = c.query("SELECT size FROM log_state WHERE id = 1");
    if (!rows) return rows.error();
    if (rows->size() != 1) return make_error("storage.corrupt_row", "log_state has no row");
    return rows->int64(0, 0);
}

Result<merkle::Frontier> load_frontier(Connection& c, std::int64_t size) {
    std::vector<Position> positions;
    for (const auto& p : merkle::frontier_positions(static_cast<std::uint64_t>(size)))
        positions.emplace_back(p.level, p.index);
    auto nodes = read_nodes(c, positions);
    if (!nodes) return nodes.error();
    std::vector<Hash> parts;
    for (const auto& p : positions) parts.push_back(nodes->at(p));
    return merkle::Frontier::from_parts(static_cast<std::uint64_t>(size), std::move(parts));
}

Result<merkle::Hash> root_at(Connection& c, std::int64_t size) {
    if (auto checked = check_size(c, size, "tree size"); !checked) return checked.error();
    auto roots = span_roots(c, {Span{0, static_cast<std::uint64_t>(size)}});
    if (!roots) return roots.error();
    return roots->front();
}

Result<std::vector<merkle::Hash>> inclusion_proof(Connection& c, std::int64_t index, std::int64_t size) {
    if (index < 0) return bad_request("leaf index " + std::to_string(index) + " is negative");
    if (index >= size)
        return bad_request("leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
    if (auto checked = check_size(c, size, "tree size"); !checked) return checked.error();
    return span_roots(c, merkle::inclusion_spans(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(size)));
}

Result<std::vector<merkle::Hash>> consistency_proof(Connection& c, std::int64_t from, std::int64_t to) {
    if (from <= 0)
        return bad_request("old tree size " + std::to_string(from) +
                           " is not positive: a consistency proof starts from a tree of at least one leaf");
    if (from > to)
        return bad_request("old tree size " + std::to_string(from) + " is larger than tree size " + std::to_string(to));
    if (auto checked = check_size(c, to, "tree size"); !checked) return checked.error();
    return span_roots(c, merkle::consistency_spans(static_cast<std::uint64_t>(from), static_cast<std::uint64_t>(to)));
}

}  // namespace consent::server::pg
