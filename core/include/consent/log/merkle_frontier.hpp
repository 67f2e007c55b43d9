// The right edge of an append-only RFC 9162 Merkle tree: the roots of the
// complete subtrees that make up a tree of n leaves, one per set bit of n,
// largest (leftmost) first. It is all a writer needs to append a leaf (the
// nodes it completes) and to sign the new root, so the log's writer keeps it in
// memory and never reads a stored node while it appends (issue #11).
#pragma once

#include <cstdint>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"

namespace consent::merkle {

// A stored node of the tree: MTH of leaves [index << level, (index + 1) << level).
struct Node {
    std::uint64_t level = 0;
    std::uint64_t index = 0;
    Hash hash{};
};

// Where the complete subtrees of a tree of `size` leaves lie, largest first:
// the nodes a frontier is loaded from.
struct NodePosition {
    std::uint64_t level = 0;
    std::uint64_t index = 0;
};
std::vector<NodePosition> frontier_positions(std::uint64_t size);

class Frontier {
public:
    Frontier() = default;  // the empty tree
    // From the hashes at frontier_positions(size), in that order
    // (merkle.frontier_mismatch when the count is wrong).
    static Result<Frontier> from_parts(std::uint64_t size, std::vector<Hash> parts);

    std::uint64_t size() const noexcept { return size_; }
    // The hashes at frontier_positions(size()), largest first.
    const std::vector<Hash>& parts() const noexcept { return parts_; }
    // Appends the leaf with this leaf hash and returns every node it completes,
    // the leaf itself first (level 0), then upwards: what the store writes.
    std::vector<Node> append(const Hash& leaf);
    // MTH of the whole tree (RFC 9162 §2.1.1); the empty root for no leaves.
    Hash root() const;

private:
    std::uint64_t size_ = 0;
    std::vector<Hash> parts_;  // frontier_positions(size_), largest first
};

}  // namespace consent::merkle
