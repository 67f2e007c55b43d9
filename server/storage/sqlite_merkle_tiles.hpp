// The SQLite store's Merkle tiles (merkle_tiles.hpp in the core, issue #11):
// table merkle_tiles repeats the stored nodes, 126 to a row, so that a proof
// reads one page per six levels instead of one B-tree lookup per node. The
// nodes stay the record (the audit checks every tile against them); a tile is
// written in the transaction that completes it, built from its bottom row as
// stored there, and checked against the node above it.
#pragma once

#include <cstdint>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_tiles.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// The row's key: the tile level in the top byte, its index below.
std::int64_t tile_id(const merkle::TilePosition& tile);

// Writes every tile that growing the log from `before` to `after` leaves
// completes; the nodes of `after` must be stored already (same transaction).
// storage.log_mismatch if a tile does not lead to the stored node above it.
Status store_completed_tiles(Connection& connection, std::int64_t before, std::int64_t after);

// A stored tile's 126 hashes; storage.log_mismatch if it is missing or not 4,032 bytes.
Result<std::vector<merkle::Hash>> read_tile(Connection& connection, const merkle::TilePosition& tile);

// The audit's half for tiles: the stored tiles are exactly the complete ones
// of a log of `size` leaves, and each holds the stored nodes it repeats.
Status check_tiles(Connection& connection, std::int64_t size);

}  // namespace consent::server::sqlite
