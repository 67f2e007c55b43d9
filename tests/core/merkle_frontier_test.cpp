// The in-memory right edge the log's writer appends with (issue #11): after
// every append its root is the tree's root, the nodes it hands out are the
// tree's own subtree roots, and one reloaded from its stored parts goes on
// exactly as the one that never stopped.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "fixtures.hpp"

namespace merkle = consent::merkle;

namespace {

std::vector<merkle::Hash> leaves(std::size_t n) { return consent::test::numbered_leaf_hashes(n); }

// MTH of leaves [index << level, (index + 1) << level), straight from the RFC's definition.
merkle::Hash subtree(const std::vector<merkle::Hash>& all, std::uint64_t level, std::uint64_t index) {
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(index << level);
    return merkle::root_from_leaf_hashes({first, first + static_cast<std::ptrdiff_t>(std::uint64_t{1} << level)});
}

}  // namespace

TEST_CASE("the frontier's root equals the tree's root after every append", "[core][merkle]") {
    const auto all = leaves(140);
    merkle::Frontier frontier;
    CHECK(frontier.root() == merkle::empty_root());
    for (std::size_t n = 1; n <= all.size(); ++n) {
        CAPTURE(n);
        frontier.append(all[n - 1]);
        CHECK(frontier.size() == n);
        CHECK(frontier.root() == merkle::root_from_leaf_hashes({all.begin(), all.begin() + static_cast<long>(n)}));
    }
}

TEST_CASE("each append hands out exactly the subtree roots its leaf completes", "[core][merkle]") {
    const auto all = leaves(70);
    merkle::Frontier frontier;
    for (std::size_t n = 0; n < all.size(); ++n) {
        CAPTURE(n);
        const auto nodes = frontier.append(all[n]);
        REQUIRE(!nodes.empty());
        // Leaf n completes level l when the l low bits of n + 1 are zero: one node per trailing zero, plus the leaf.
        std::uint64_t expected = 1;
        for (std::uint64_t m = n + 1; (m & 1u) == 0; m >>= 1) ++expected;
        CHECK(nodes.size() == expected);
        for (std::size_t l = 0; l < nodes.size(); ++l) {
            CHECK(nodes[l].level == l);
            CHECK(nodes[l].index == (n >> l));
            CHECK(nodes[l].hash == subtree(all, nodes[l].level, nodes[l].index));
        }
    }
}

TEST_CASE("a frontier reloaded from its stored parts goes on like the one that never stopped", "[core][merkle]") {
    const auto all = leaves(100);
    for (std::size_t cut : {0u, 1u, 2u, 7u, 8u, 37u, 64u}) {
        CAPTURE(cut);
        std::vector<merkle::Hash> parts;
        for (const auto& p : merkle::frontier_positions(cut)) parts.push_back(subtree(all, p.level, p.index));
        auto reloaded = merkle::Frontier::from_parts(cut, parts);
        REQUIRE(reloaded.ok());
        merkle::Frontier straight;
        for (std::size_t i = 0; i < cut; ++i) straight.append(all[i]);
        for (std::size_t i = cut; i < all.size(); ++i) {
            const auto a = reloaded.value().append(all[i]);
            const auto b = straight.append(all[i]);
            REQUIRE(a.size() == b.size());
            CHECK(a.back().hash == b.back().hash);
        }
        CHECK(reloaded.value().root() == straight.root());
    }
}

TEST_CASE("a frontier is not loaded from the wrong number of parts", "[core][merkle]") {
    CHECK(merkle::frontier_positions(0).empty());
    CHECK(merkle::frontier_positions(5).size() == 2);  // 4 + 1
    CHECK(merkle::frontier_positions(5)[1].level == 0);
    CHECK(merkle::frontier_positions(5)[1].index == 4);
    const auto refused = merkle::Frontier::from_parts(5, {merkle::empty_root()});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "merkle.frontier_mismatch");
}
