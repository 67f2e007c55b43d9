// Which subtrees an RFC 9162 proof is made of, as ranges of leaves, and the
// stored nodes each range's hash is folded from. Pure arithmetic shared by the
// stores (which read those nodes from their tables) and by the log writer,
// which answers a fresh receipt's inclusion proof from memory (issue #11).
#pragma once

#include <cstdint>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"

namespace consent::merkle {

// Leaves [start, start + size): a subtree whose MTH is one proof element.
struct Span {
    std::uint64_t start = 0;
    std::uint64_t size = 0;
};

// RFC 9162 §2.1.3.1 PATH(m, D[n]) for 0 <= m < n, as the spans whose MTHs are
// the proof, in proof order.
std::vector<Span> inclusion_spans(std::uint64_t m, std::uint64_t n);
// RFC 9162 §2.1.4.1 PROOF(m, D[n]) for 0 < m <= n, likewise.
std::vector<Span> consistency_spans(std::uint64_t m, std::uint64_t n);

// Every span those recursions name starts at a multiple of the power of two at
// or above its size, so its MTH is stored whole when its size is a power of two
// and otherwise (only at the tree's right edge) folds the complete subtrees of
// its size's binary digits, largest first: node(p1, node(p2, ... pN)).
// The nodes to fold, left to right (none for an empty span).
std::vector<NodePosition> span_parts(const Span& span);
// The fold of those parts' hashes; MTH({}) for none.
Hash fold_span_parts(const std::vector<Hash>& parts);

// The inclusion proof at `size` of every leaf that a run of appends added to
// the tree `before`, in leaf order, from `before`'s parts and the nodes the run
// completed (Frontier::append's, in any order): no stored node is needed.
// A left sibling wholly before the run is a part of `before` (its parent holds
// the new leaf, so it is a maximal complete subtree of the old tree); every
// other subtree a proof names lies within the run and is complete, so the run
// completed it. merkle.node_missing if the nodes given do not hold one.
Result<std::vector<std::vector<Hash>>> appended_inclusion_proofs(const Frontier& before,
                                                                 const std::vector<Node>& completed,
                                                                 std::uint64_t size);

}  // namespace consent::merkle
