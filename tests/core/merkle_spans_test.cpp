// The proofs a log writer answers from memory for the receipts of a batch
// (issue #11): for every old size and run length up to a few dozen (every
// shape of right edge, including runs that complete old subtrees), each
// appended leaf's proof equals the one the RFC's own recursion makes over the
// whole tree (merkle::inclusion_proof, an independent in-memory tree), and it
// verifies against the new root.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "consent/log/merkle_spans.hpp"
#include "fixtures.hpp"

namespace merkle = consent::merkle;

namespace {

std::vector<merkle::Hash> leaves(std::size_t n) { return consent::test::numbered_leaf_hashes(n); }

std::vector<std::uint8_t> bytes(const merkle::Hash& h) { return {h.begin(), h.end()}; }

}  // namespace

TEST_CASE("a run's inclusion proofs from the old edge and its own nodes equal the whole tree's", "[core][merkle]") {
    const auto all = leaves(80);
    // size_t indexes (32 bits in wasm), uint64 tree sizes.
    for (std::size_t old_size = 0; old_size <= 40; ++old_size) {
        merkle::Frontier before;
        for (std::size_t i = 0; i < old_size; ++i) before.append(all[i]);
        for (std::size_t run = 1; old_size + run <= all.size() && run <= 40; ++run) {
            CAPTURE(old_size, run);
            merkle::Frontier after = before;
            std::vector<merkle::Node> completed;
            for (std::size_t i = old_size; i < old_size + run; ++i)
                for (const auto& node : after.append(all[i])) completed.push_back(node);
            const std::size_t size = old_size + run;
            const auto proofs = merkle::appended_inclusion_proofs(before, completed, size);
            REQUIRE(proofs.ok());
            REQUIRE(proofs->size() == run);
            const std::vector<merkle::Hash> tree(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(size));
            for (std::size_t k = 0; k < run; ++k) {
                const auto expected = merkle::inclusion_proof(tree, old_size + k);
                REQUIRE(expected.ok());
                CHECK((*proofs)[k] == *expected);
                std::vector<std::vector<std::uint8_t>> raw;
                for (const auto& h : (*proofs)[k]) raw.push_back(bytes(h));
                CHECK(merkle::verify_inclusion(old_size + k, size, bytes(all[old_size + k]), raw, bytes(after.root()))
                          .ok());
            }
        }
    }
}

TEST_CASE("a run's proofs refuse when a node they need was not given", "[core][merkle]") {
    const auto all = leaves(8);
    merkle::Frontier before;
    for (int i = 0; i < 5; ++i) before.append(all[i]);
    merkle::Frontier after = before;
    std::vector<merkle::Node> completed;
    for (int i = 5; i < 8; ++i)
        for (const auto& node : after.append(all[i])) completed.push_back(node);
    // Appending leaf 5 completed it and the node over leaves 4 and 5, which
    // the proofs of leaves 6 and 7 name.
    REQUIRE(completed.size() >= 2);
    REQUIRE(completed[1].level == 1);
    REQUIRE(completed[1].index == 2);
    completed.erase(completed.begin() + 1);
    const auto proofs = merkle::appended_inclusion_proofs(before, completed, 8);
    REQUIRE_FALSE(proofs.ok());
    CHECK(proofs.error().code == "merkle.node_missing");
}
