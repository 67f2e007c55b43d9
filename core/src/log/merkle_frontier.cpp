#include "consent/log/merkle_frontier.hpp"

#include <utility>

namespace consent::merkle {

// Every subtree of the edge starts right after the ones before it, so walking
// the set bits of size from the top gives each one's first leaf.
std::vector<NodePosition> frontier_positions(std::uint64_t size) {
    std::vector<NodePosition> out;
    std::uint64_t start = 0;
    for (int level = 63; level >= 0; --level) {
        const std::uint64_t width = std::uint64_t{1} << level;
        if ((size & width) == 0) continue;
        out.push_back({static_cast<std::uint64_t>(level), start >> level});
        start += width;
    }
    return out;
}

Result<Frontier> Frontier::from_parts(std::uint64_t size, std::vector<Hash> parts) {
    if (parts.size() != frontier_positions(size).size())
        return make_error("merkle.frontier_mismatch", "a tree of " + std::to_string(size) + " leaves has " +
                                                          std::to_string(frontier_positions(size).size()) +
                                                          " complete subtrees on its right edge, not " +
                                                          std::to_string(parts.size()));
    Frontier f;
    f.size_ = size;
    f.parts_ = std::move(parts);
    return f;
}

// Like a binary counter's carry: leaf n completes the node at level l exactly
// while the low l bits of n are ones, each time merging the smallest part
// with the new one (RFC 9162 §2.1.1, node = SHA-256(0x01 || left || right)).
std::vector<Node> Frontier::append(const Hash& leaf) {
    std::vector<Node> completed;
    std::uint64_t position = size_;
    std::uint64_t level = 0;
    Hash hash = leaf;
    completed.push_back({level, position, hash});
    while ((position & 1u) != 0) {
        hash = node_hash(parts_.back(), hash);
        parts_.pop_back();
        ++level;
        position >>= 1;
        completed.push_back({level, position, hash});
    }
    parts_.push_back(hash);
    ++size_;
    return completed;
}

// §2.1.1 splits an incomplete tree at the largest power of two below its size,
// so its root folds the parts from the right: node(p1, node(p2, ... pN)).
Hash Frontier::root() const {
    if (parts_.empty()) return empty_root();
    Hash root = parts_.back();
    for (auto part = parts_.rbegin() + 1; part != parts_.rend(); ++part) root = node_hash(*part, root);
    return root;
}

}  // namespace consent::merkle
