#include "consent/log/merkle_tiles.hpp"

#include <string>

namespace consent::merkle {
namespace {

// Where level j (0 .. 5) of a tile begins among its hashes: after the 64, 32,
// ... nodes of the levels below it, 128 - 2^(7 - j).
std::size_t level_offset(std::uint64_t j) { return 2 * kTileWidth - (std::size_t{2} << (kTileHeight - j)); }

Error bad_tile(const std::string& message) { return make_error("merkle.bad_tile", message); }

}  // namespace

TileSlot tile_slot(std::uint64_t level, std::uint64_t index) {
    const std::uint64_t j = level % kTileHeight;
    const std::uint64_t shift = kTileHeight - j;  // the level's nodes per tile are 2^shift
    const std::uint64_t k = index >> shift;
    return TileSlot{{level / kTileHeight, k}, level_offset(j) + static_cast<std::size_t>(index - (k << shift))};
}

bool tile_complete(const TilePosition& tile, std::uint64_t size) {
    const std::uint64_t shift = kTileHeight * (tile.level + 1);
    if (shift >= 64) return false;
    // (k + 1) << shift <= size, without overflowing the left side.
    return tile.index < (size >> shift);
}

std::vector<TilePosition> tiles_completed(std::uint64_t before, std::uint64_t after) {
    std::vector<TilePosition> out;
    for (std::uint64_t t = 0; t <= kMaxTileLevel; ++t) {
        const std::uint64_t shift = kTileHeight * (t + 1);
        if (shift >= 64) break;                       // no tree of 2^64 leaves
        const std::uint64_t first = before >> shift;  // tiles complete before
        const std::uint64_t last = after >> shift;    // tiles complete after
        if (last == 0) break;                         // no higher level has a complete tile either
        for (std::uint64_t k = first; k < last; ++k) out.push_back({t, k});
    }
    return out;
}

NodePosition tile_bottom_start(const TilePosition& tile) {
    return NodePosition{tile.level * kTileHeight, tile.index << kTileHeight};
}

Result<std::vector<Hash>> build_tile(const std::vector<Hash>& bottom_row) {
    if (bottom_row.size() != kTileWidth)
        return bad_tile("a tile is built from " + std::to_string(kTileWidth) + " nodes, not " +
                        std::to_string(bottom_row.size()));
    std::vector<Hash> tile;
    tile.reserve(kTileHashes);
    tile.insert(tile.end(), bottom_row.begin(), bottom_row.end());
    // Each level's nodes are the hashes of the pairs of the one below it.
    std::size_t below = 0;
    for (std::size_t width = kTileWidth; width > 2; width /= 2) {
        for (std::size_t i = 0; i < width; i += 2) tile.push_back(node_hash(tile[below + i], tile[below + i + 1]));
        below += width;
    }
    return tile;
}

Result<Hash> tile_root(const std::vector<Hash>& tile) {
    if (tile.size() != kTileHashes)
        return bad_tile("a tile holds " + std::to_string(kTileHashes) + " hashes, not " + std::to_string(tile.size()));
    return node_hash(tile[kTileHashes - 2], tile[kTileHashes - 1]);
}

}  // namespace consent::merkle
