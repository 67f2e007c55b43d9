// Tiles of the Merkle log (issue #11): the stored tree's nodes grouped so that
// a proof reads a few rows, not one B-tree lookup per node.
//
// Node (level, index) is the root of the complete subtree over leaves
// [index << level, (index + 1) << level). Tile (t, k) holds, for the levels
// 6t .. 6t + 5, every node under node (6t + 6, k): 64 at level 6t, 32 above
// them, ... 2 at level 6t + 5, 126 hashes, level by level from the bottom and
// left to right within a level. Like C2SP tlog-tiles, a tile's nodes are all
// under one node, so an inclusion proof of a tree of n leaves takes one tile per
// six levels (three tiles at 10^7 leaves, beside the few top nodes that no
// complete tile holds yet); unlike it, the tile stores the levels inside it too, so a proof
// hashes nothing to read them. A tile is stored only once complete (the tree
// holds node (6t + 6, k)) and never changes, like the nodes it repeats.
//
// Six levels, because 126 hashes (4,032 bytes) still fit one 4 KiB SQLite page
// inline in a rowid table: one page read per tile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"

namespace consent::merkle {

constexpr std::uint64_t kTileHeight = 6;
constexpr std::size_t kTileWidth = std::size_t{1} << kTileHeight;  // nodes in a tile's bottom row
constexpr std::size_t kTileHashes = 2 * kTileWidth - 2;            // 126
// Tiles go up to level 62, the stored nodes' limit: tile levels 0 .. 10.
constexpr std::uint64_t kMaxTileLevel = 62 / kTileHeight;

struct TilePosition {
    std::uint64_t level = 0;  // the tile level t: its nodes are at levels 6t .. 6t + 5
    std::uint64_t index = 0;  // k: they lie under node (6t + 6, k)
};

// Where node (level, index) lies: its tile and its place among the tile's 126 hashes.
struct TileSlot {
    TilePosition tile;
    std::size_t offset = 0;
};
TileSlot tile_slot(std::uint64_t level, std::uint64_t index);

// Whether a tree of `size` leaves holds every node of the tile: (k + 1) << (6t + 6) <= size.
bool tile_complete(const TilePosition& tile, std::uint64_t size);

// The tiles that growing the tree from `before` to `after` leaves completes,
// lowest level first, left to right within a level (what a writer stores).
std::vector<TilePosition> tiles_completed(std::uint64_t before, std::uint64_t after);

// The bottom-row node positions of a tile: level 6t, indexes 64k .. 64k + 63.
NodePosition tile_bottom_start(const TilePosition& tile);

// The tile's 126 hashes from its 64 bottom-row nodes in index order (the rest
// is node_hash up the levels); merkle.bad_tile for any other count.
Result<std::vector<Hash>> build_tile(const std::vector<Hash>& bottom_row);

// The node above the tile, (6t + 6, k), from its hashes: what the tile must
// agree with (merkle.bad_tile unless there are 126).
Result<Hash> tile_root(const std::vector<Hash>& tile);

}  // namespace consent::merkle
