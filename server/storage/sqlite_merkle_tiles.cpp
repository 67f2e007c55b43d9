#include "storage/sqlite_merkle_tiles.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "storage/sqlite_merkle.hpp"

namespace consent::server::sqlite {
namespace {

using merkle::Hash;
using merkle::TilePosition;

Error tile_mismatch(const TilePosition& tile, const std::string& what) {
    return make_error("storage.log_mismatch", "the Merkle tile at level " + std::to_string(tile.level) + ", index " +
                                                  std::to_string(tile.index) + " " + what);
}

// The tile's 64 bottom-row nodes, in one range read of the nodes' primary key.
Result<std::vector<Hash>> stored_bottom_row(Connection& connection, const TilePosition& tile) {
    const merkle::NodePosition start = merkle::tile_bottom_start(tile);
    auto statement = connection.prepare(
        "SELECT idx, hash FROM merkle_nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx");
    if (!statement) return statement.error();
    const auto level = static_cast<std::int64_t>(start.level);
    const auto first = static_cast<std::int64_t>(start.index);
    Statement& rows = statement.value().bind(1, level).bind(2, first).bind(3, first + std::int64_t{merkle::kTileWidth});
    std::vector<Hash> row;
    row.reserve(merkle::kTileWidth);
    for (;;) {
        auto next = rows.step();
        if (!next) return next.error();
        if (!*next) break;
        const std::int64_t expected = first + static_cast<std::int64_t>(row.size());
        if (rows.int64(0) != expected) return log_mismatch(level, expected, "is missing");
        auto hash = hash_column(rows, 1);
        if (!hash) return log_mismatch(level, expected, "is not a 32-byte hash");
        row.push_back(*hash);
    }
    if (row.size() != merkle::kTileWidth)
        return log_mismatch(level, first + static_cast<std::int64_t>(row.size()), "is missing");
    return row;
}

// The tile its bottom row makes, which must lead to the node above it: a tile
// that disagrees with the tree is never written, and the audit names it.
Result<std::vector<Hash>> tile_from_nodes(Connection& connection, const TilePosition& tile) {
    auto bottom = stored_bottom_row(connection, tile);
    if (!bottom) return bottom.error();
    auto built = merkle::build_tile(*bottom);
    if (!built) return built.error();
    auto above = read_node(connection, (tile.level + 1) * merkle::kTileHeight, tile.index);
    if (!above) return above.error();
    if (*merkle::tile_root(*built) != *above) return tile_mismatch(tile, "does not lead to the node above it");
    return built;
}

std::vector<std::uint8_t> tile_bytes(const std::vector<Hash>& tile) {
    std::vector<std::uint8_t> bytes;
    bytes.reserve(tile.size() * kSha256Size);
    for (const Hash& h : tile) bytes.insert(bytes.end(), h.begin(), h.end());
    return bytes;
}

std::optional<std::vector<Hash>> tile_hashes(const std::vector<std::uint8_t>& bytes) {
    if (bytes.size() != merkle::kTileHashes * kSha256Size) return std::nullopt;
    std::vector<Hash> tile(merkle::kTileHashes);
    for (std::size_t i = 0; i < tile.size(); ++i)
        std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(i * kSha256Size),
                  bytes.begin() + static_cast<std::ptrdiff_t>((i + 1) * kSha256Size), tile[i].begin());
    return tile;
}

}  // namespace

std::int64_t tile_id(const TilePosition& tile) { return static_cast<std::int64_t>((tile.level << 56) | tile.index); }

Status store_completed_tiles(Connection& connection, std::int64_t before, std::int64_t after) {
    for (const TilePosition& tile :
         merkle::tiles_completed(static_cast<std::uint64_t>(before), static_cast<std::uint64_t>(after))) {
        auto built = tile_from_nodes(connection, tile);
        if (!built) return built.error();
        auto insert = connection.prepare(
            "INSERT INTO merkle_tiles (tile_id, tile_level, tile_index, hashes) VALUES (?1, ?2, ?3, ?4)");
        if (!insert) return insert.error();
        const std::vector<std::uint8_t> bytes = tile_bytes(*built);
        auto inserted = insert.value()
                            .bind(1, tile_id(tile))
                            .bind(2, static_cast<std::int64_t>(tile.level))
                            .bind(3, static_cast<std::int64_t>(tile.index))
                            .bind_blob(4, bytes.data(), bytes.size())
                            .run();
        if (!inserted) return inserted;
    }
    return Unit{};
}

Result<std::vector<Hash>> read_tile(Connection& connection, const TilePosition& tile) {
    auto statement = connection.prepare("SELECT hashes FROM merkle_tiles WHERE tile_id = ?1");
    if (!statement) return statement.error();
    auto row = statement.value().bind(1, tile_id(tile)).step();
    if (!row) return row.error();
    if (!*row) return tile_mismatch(tile, "is missing");
    auto hashes = tile_hashes(statement.value().blob(0));
    if (!hashes) return tile_mismatch(tile, "is not 126 hashes");
    return std::move(*hashes);
}

Status check_tiles(Connection& connection, std::int64_t size) {
    auto statement =
        connection.prepare("SELECT tile_id, tile_level, tile_index, hashes FROM merkle_tiles ORDER BY tile_id");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    TilePosition next{0, 0};  // the first tile not yet seen
    const auto unsigned_size = static_cast<std::uint64_t>(size);
    // Every complete tile of the levels below `level`, from `next` on, is missing.
    const auto missing_before = [&](std::uint64_t level) -> Status {
        for (; next.level < level && next.level <= merkle::kMaxTileLevel; next = {next.level + 1, 0})
            if (merkle::tile_complete(next, unsigned_size)) return tile_mismatch(next, "is missing");
        return Unit{};
    };
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) break;
        const TilePosition tile{static_cast<std::uint64_t>(rows.int64(1)), static_cast<std::uint64_t>(rows.int64(2))};
        if (rows.int64(0) != tile_id(tile)) return tile_mismatch(tile, "is stored under another key");
        if (!merkle::tile_complete(tile, unsigned_size)) return tile_mismatch(tile, "is beyond the log");
        if (auto gap = missing_before(tile.level); !gap) return gap;
        if (tile.index != next.index) return tile_mismatch(next, "is missing");
        auto stored = tile_hashes(rows.blob(3));
        if (!stored) return tile_mismatch(tile, "is not 126 hashes");
        auto expected = tile_from_nodes(connection, tile);
        if (!expected) return expected.error();
        if (*stored != *expected) return tile_mismatch(tile, "differs from the nodes it repeats");
        next.index = tile.index + 1;
    }
    return missing_before(merkle::kMaxTileLevel + 1);
}

}  // namespace consent::server::sqlite
