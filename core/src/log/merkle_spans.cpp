#include "consent/log/merkle_spans.hpp"

#include <map>
#include <utility>

namespace consent::merkle {
namespace {

// Sizes stay below 2^63 (stores keep them as int64), so levels below 63.
constexpr int kTopLevel = 62;

// RFC 9162 §2.1.1: k is the largest power of two smaller than n (n >= 2).
// Written as k < n - k so that doubling k can never overflow.
std::uint64_t split_point(std::uint64_t n) noexcept {
    std::uint64_t k = 1;
    while (k < n - k) k <<= 1;
    return k;
}

}  // namespace

// The recursion descends into the half holding leaf m and appends the other
// half's MTH after the deeper part, so the spans found top-down are reversed.
std::vector<Span> inclusion_spans(std::uint64_t m, std::uint64_t n) {
    std::vector<Span> top_down;
    std::uint64_t start = 0;
    while (n > 1) {
        const std::uint64_t k = split_point(n);
        if (m < k) {
            top_down.push_back({start + k, n - k});
            n = k;
        } else {
            top_down.push_back({start, k});
            m -= k;
            start += k;
            n -= k;
        }
    }
    return {top_down.rbegin(), top_down.rend()};
}

// SUBPROOF(m, D[n], b): `whole` is b. It turns false once the recursion enters
// a right half, after which the old tree's subtree D[m] is not known to the
// verifier and is sent first.
std::vector<Span> consistency_spans(std::uint64_t m, std::uint64_t n) {
    std::vector<Span> top_down;
    std::uint64_t start = 0;
    bool whole = true;
    while (m != n) {
        const std::uint64_t k = split_point(n);
        if (m <= k) {
            top_down.push_back({start + k, n - k});
            n = k;
        } else {
            top_down.push_back({start, k});
            m -= k;
            start += k;
            n -= k;
            whole = false;
        }
    }
    if (!whole) top_down.push_back({start, n});
    return {top_down.rbegin(), top_down.rend()};
}

std::vector<NodePosition> span_parts(const Span& span) {
    std::vector<NodePosition> parts;
    std::uint64_t start = span.start;
    for (int level = kTopLevel; level >= 0; --level) {
        const std::uint64_t width = std::uint64_t{1} << level;
        if ((span.size & width) == 0) continue;
        parts.push_back({static_cast<std::uint64_t>(level), start >> level});
        start += width;
    }
    return parts;
}

Hash fold_span_parts(const std::vector<Hash>& parts) {
    if (parts.empty()) return empty_root();
    Hash root = parts.back();
    for (auto part = parts.rbegin() + 1; part != parts.rend(); ++part) root = node_hash(*part, root);
    return root;
}

Result<std::vector<std::vector<Hash>>> appended_inclusion_proofs(const Frontier& before,
                                                                 const std::vector<Node>& completed,
                                                                 std::uint64_t size) {
    std::map<std::pair<std::uint64_t, std::uint64_t>, Hash> known;
    const std::vector<NodePosition> old_positions = frontier_positions(before.size());
    for (std::size_t i = 0; i < old_positions.size() && i < before.parts().size(); ++i)
        known.emplace(std::make_pair(old_positions[i].level, old_positions[i].index), before.parts()[i]);
    for (const Node& node : completed) known.emplace(std::make_pair(node.level, node.index), node.hash);
    std::vector<std::vector<Hash>> proofs;
    if (size < before.size()) return make_error("merkle.size_order", "the tree cannot be smaller than before the run");
    proofs.reserve(static_cast<std::size_t>(size - before.size()));
    for (std::uint64_t leaf = before.size(); leaf < size; ++leaf) {
        std::vector<Hash> proof;
        for (const Span& span : inclusion_spans(leaf, size)) {
            std::vector<Hash> parts;
            for (const NodePosition& position : span_parts(span)) {
                const auto found = known.find({position.level, position.index});
                if (found == known.end())
                    return make_error("merkle.node_missing", "the node at level " + std::to_string(position.level) +
                                                                 ", index " + std::to_string(position.index) +
                                                                 " is neither an old part nor completed by the run");
                parts.push_back(found->second);
            }
            proof.push_back(fold_span_parts(parts));
        }
        proofs.push_back(std::move(proof));
    }
    return proofs;
}

}  // namespace consent::merkle
