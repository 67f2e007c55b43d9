// The Merkle log's tiles (issue #11): each of a tile's 126 places holds the node
// tile_slot says it does, built from the bottom row alone; a tile is complete
// exactly when the tree holds every node under it; and growing the tree names
// each tile once, when it completes. Checked against the nodes a Frontier
// completes (an independent walk of the same tree) over 5,000 leaves, which
// holds complete tiles at levels 0 and 1.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "consent/log/merkle_tiles.hpp"
#include "fixtures.hpp"

namespace merkle = consent::merkle;

namespace {

using NodeMap = std::map<std::pair<std::uint64_t, std::uint64_t>, merkle::Hash>;

NodeMap all_nodes(std::size_t leaves) {
    NodeMap nodes;
    merkle::Frontier tree;
    for (const auto& leaf : consent::test::numbered_leaf_hashes(leaves))
        for (const auto& node : tree.append(leaf)) nodes[{node.level, node.index}] = node.hash;
    return nodes;
}

std::vector<merkle::Hash> bottom_row(const NodeMap& nodes, const merkle::TilePosition& tile) {
    const merkle::NodePosition start = merkle::tile_bottom_start(tile);
    std::vector<merkle::Hash> row;
    for (std::uint64_t i = 0; i < merkle::kTileWidth; ++i) row.push_back(nodes.at({start.level, start.index + i}));
    return row;
}

}  // namespace

TEST_CASE("a tile's places are its nodes, one each, level by level from the bottom", "[core][merkle]") {
    for (const std::uint64_t t : {0u, 1u, 3u}) {
        for (const std::uint64_t k : {0u, 1u, 7u}) {
            std::set<std::size_t> offsets;
            for (std::uint64_t j = 0; j < merkle::kTileHeight; ++j) {
                const std::uint64_t width = std::uint64_t{1} << (merkle::kTileHeight - j);
                for (std::uint64_t i = k * width; i < (k + 1) * width; ++i) {
                    const merkle::TileSlot slot = merkle::tile_slot(t * merkle::kTileHeight + j, i);
                    CHECK(slot.tile.level == t);
                    CHECK(slot.tile.index == k);
                    offsets.insert(slot.offset);
                }
            }
            CHECK(offsets.size() == merkle::kTileHashes);
            CHECK(*offsets.rbegin() == merkle::kTileHashes - 1);
        }
    }
    // The bottom row first, the top pair last.
    CHECK(merkle::tile_slot(0, 64).offset == 0);
    CHECK(merkle::tile_slot(5, 3).offset == 125);
    CHECK(merkle::tile_slot(6, 130).tile.level == 1);
    CHECK(merkle::tile_slot(6, 130).tile.index == 2);
    CHECK(merkle::tile_slot(6, 130).offset == 2);
}

TEST_CASE("a tile built from its bottom row holds the tree's nodes and agrees with the node above it",
          "[core][merkle]") {
    const std::size_t size = 5000;
    const NodeMap nodes = all_nodes(size);
    std::size_t checked = 0;
    for (const auto& [position, hash] : nodes) {
        const auto [level, index] = position;
        if (level >= 2 * merkle::kTileHeight) continue;
        const merkle::TileSlot slot = merkle::tile_slot(level, index);
        if (!merkle::tile_complete(slot.tile, size)) continue;
        auto tile = merkle::build_tile(bottom_row(nodes, slot.tile));
        REQUIRE(tile);
        REQUIRE(tile->size() == merkle::kTileHashes);
        CHECK((*tile)[slot.offset] == hash);
        auto root = merkle::tile_root(*tile);
        REQUIRE(root);
        CHECK(*root == nodes.at({(slot.tile.level + 1) * merkle::kTileHeight, slot.tile.index}));
        ++checked;
    }
    // 78 complete tiles at level 0 and one at level 1, every place of each.
    CHECK(checked == (5000 / 64) * merkle::kTileHashes + merkle::kTileHashes);
}

TEST_CASE("a tile is complete exactly when the tree holds every node under it", "[core][merkle]") {
    const NodeMap nodes = all_nodes(4200);
    for (std::uint64_t size = 0; size <= 4200; size += 7) {
        for (const merkle::TilePosition tile : {merkle::TilePosition{0, 0}, merkle::TilePosition{0, 5},
                                                merkle::TilePosition{1, 0}, merkle::TilePosition{1, 1}}) {
            const std::uint64_t top_level = (tile.level + 1) * merkle::kTileHeight;
            // The node above the tile is in a tree of `size` leaves when its last leaf is.
            const bool holds = ((tile.index + 1) << top_level) <= size;
            CHECK(merkle::tile_complete(tile, size) == holds);
        }
    }
    // Past the stored levels nothing is complete, and nothing overflows.
    CHECK_FALSE(merkle::tile_complete({merkle::kMaxTileLevel + 1, 0}, UINT64_MAX));
    CHECK(merkle::tile_complete({merkle::kMaxTileLevel - 1, 0}, std::uint64_t{1} << 62));
}

TEST_CASE("growing the tree names each tile once, when it completes", "[core][merkle]") {
    std::set<std::pair<std::uint64_t, std::uint64_t>> named;
    std::uint64_t before = 0;
    // Uneven steps, some inside one tile, one across many.
    for (const std::uint64_t step : {1u, 63u, 1u, 64u, 200u, 3u, 4096u, 5u, 8000u, 1u}) {
        const std::uint64_t after = before + step;
        std::set<std::pair<std::uint64_t, std::uint64_t>> expected;
        for (std::uint64_t t = 0; t < 3; ++t)
            for (std::uint64_t k = 0; k < 300; ++k)
                if (merkle::tile_complete({t, k}, after) && !merkle::tile_complete({t, k}, before))
                    expected.insert({t, k});
        std::set<std::pair<std::uint64_t, std::uint64_t>> got;
        std::uint64_t last_level = 0;
        for (const auto& tile : merkle::tiles_completed(before, after)) {
            CHECK(tile.level >= last_level);  // lowest level first, as a writer stores them
            last_level = tile.level;
            CHECK(got.insert({tile.level, tile.index}).second);
            CHECK(named.insert({tile.level, tile.index}).second);
        }
        CHECK(got == expected);
        before = after;
    }
}

TEST_CASE("a tile is built from 64 nodes, and only 126 hashes have a root", "[core][merkle]") {
    const auto leaves = consent::test::numbered_leaf_hashes(65);
    auto refused = merkle::build_tile(std::vector<merkle::Hash>(leaves.begin(), leaves.begin() + 63));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "merkle.bad_tile");
    auto no_root = merkle::tile_root(leaves);
    REQUIRE_FALSE(no_root);
    CHECK(no_root.error().code == "merkle.bad_tile");
    // The root of the first 64 leaves' tile is the MTH of those leaves.
    auto tile = merkle::build_tile(std::vector<merkle::Hash>(leaves.begin(), leaves.begin() + 64));
    REQUIRE(tile);
    CHECK(*merkle::tile_root(*tile) ==
          merkle::root_from_leaf_hashes(std::vector<merkle::Hash>(leaves.begin(), leaves.begin() + 64)));
}
