// RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification on untrusted proofs. The
// input picks a true claim in a fixed 64-leaf tree (a leaf's inclusion at
// some tree size, or one size's consistency with a larger one), takes its
// true proof, then applies the input's edits: flip a byte of an element,
// drop, insert or replace an element (with any hash of the tree, so that
// plausible hashes are tried), resize one, change the index, a size, the
// leaf or a root. Property: whatever verifies is a true claim with the true
// proof, checked against the independent in-memory tree.
//
// Roots follow the claimed sizes (as a signed checkpoint pairs a size with
// its root) unless an edit changes a root. A root replaced by another node
// of the tree makes a claim about that node's subtree, which may be true: then
// the property is only that every hash involved is one of the tree's, so a
// flipped byte anywhere never verifies. Against a root of another size a
// changed size can verify by RFC 9162's design: leaf 0 of a 3-leaf tree
// proves with the same path at size 4, because the path's shape is all a
// size contributes; the checkpoint's signature is what binds size and root.
#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "byte_reader.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/log/merkle.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;
using Raw = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t kLeaves = 64;

struct Tree {
    std::vector<merkle::Hash> leaves;
    std::vector<Raw> roots;  // roots[s]: the root of the first s leaves
    std::vector<Raw> pool;   // every leaf, root and inner node of the tree's proofs
};

Raw raw(const merkle::Hash& h) { return Raw(h.begin(), h.end()); }

std::vector<merkle::Hash> prefix(const std::vector<merkle::Hash>& leaves, std::size_t size) {
    return {leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(size)};
}

const Tree& tree() {
    static const Tree t = [] {
        Tree out;
        std::set<Raw> pool;
        for (std::size_t i = 0; i < kLeaves; ++i) out.leaves.push_back(merkle::leaf_hash("leaf " + std::to_string(i)));
        for (std::size_t s = 0; s <= kLeaves; ++s) {
            out.roots.push_back(
                raw(s == 0 ? merkle::empty_root() : merkle::root_from_leaf_hashes(prefix(out.leaves, s))));
            pool.insert(out.roots.back());
            for (std::size_t i = 0; i < s; ++i) {
                const auto proof = merkle::inclusion_proof(prefix(out.leaves, s), i).value();
                for (const auto& h : proof) pool.insert(raw(h));
            }
        }
        for (const auto& h : out.leaves) pool.insert(raw(h));
        out.pool.assign(pool.begin(), pool.end());
        return out;
    }();
    return t;
}

std::vector<Raw> raw_list(const std::vector<merkle::Hash>& hashes) {
    std::vector<Raw> out;
    for (const auto& h : hashes) out.push_back(raw(h));
    return out;
}

// The claim under test: inclusion (a = index, b = size) or consistency (a = size1, b = size2).
struct Claim {
    std::uint64_t a = 0, b = 0;
    Raw leaf;
    std::vector<Raw> proof;
    Raw root1, root2;  // root2: inclusion's root, or consistency's second root
    bool root1_edited = false, root2_edited = false;
};

// Root for a claimed size when no edit touched it: the tree's, or (beyond the
// tree) the one of the true claim's size.
Raw root_for(std::uint64_t claimed, std::uint64_t original) {
    return tree().roots[claimed <= kLeaves ? claimed : original];
}

void edit_root(fuzz::ByteReader& in, Raw& root) {
    switch (in.byte() % 3) {
        case 0:
            if (!root.empty()) root[in.below(root.size())] ^= static_cast<std::uint8_t>(in.byte() | 1);
            break;
        case 1: root = tree().pool[in.below(tree().pool.size())]; break;
        default: root.resize(in.byte() % 40); break;
    }
}

void apply_edits(fuzz::ByteReader& in, Claim& c) {
    for (int n = 0; n < 16 && !in.empty(); ++n) {
        auto& proof = c.proof;
        const std::size_t k = proof.empty() ? 0 : in.below(proof.size());
        switch (in.byte() % 12) {
            case 0:
                if (!proof.empty() && !proof[k].empty())
                    proof[k][in.below(proof[k].size())] ^= static_cast<std::uint8_t>(in.byte() | 1);
                break;
            case 1:
                if (!proof.empty()) proof.erase(proof.begin() + static_cast<std::ptrdiff_t>(k));
                break;
            case 2:
                proof.insert(
                    proof.begin() + static_cast<std::ptrdiff_t>(proof.empty() ? 0 : in.below(proof.size() + 1)),
                    tree().pool[in.below(tree().pool.size())]);
                break;
            case 3:
                if (!proof.empty()) proof[k] = tree().pool[in.below(tree().pool.size())];
                break;
            case 4: c.a = in.below(kLeaves + 16); break;
            case 5: c.a = in.u64(); break;
            case 6: c.b = in.below(kLeaves + 16); break;
            case 7: c.b = in.u64(); break;
            case 8: c.leaf = tree().pool[in.below(tree().pool.size())]; break;
            case 9:
                if (!proof.empty()) proof[k].resize(in.byte() % 40);
                break;
            case 10:
                edit_root(in, c.root1);
                c.root1_edited = true;
                break;
            default:
                edit_root(in, c.root2);
                c.root2_edited = true;
                break;
        }
    }
}

bool in_pool(const Raw& h) { return std::binary_search(tree().pool.begin(), tree().pool.end(), h); }

// Against an edited root: only hashes of the tree can have been combined.
void check_only_tree_hashes(const Claim& c, const char* what) {
    bool all = in_pool(c.root2) && (c.leaf.empty() || in_pool(c.leaf)) && (c.root1.empty() || in_pool(c.root1));
    for (const auto& h : c.proof) all = all && in_pool(h);
    std::string hashes =
        "leaf " + hex_encode(c.leaf) + " root1 " + hex_encode(c.root1) + " root2 " + hex_encode(c.root2);
    for (const auto& h : c.proof) hashes += " proof " + hex_encode(h);
    fuzz::check(all, what, "sizes/index " + std::to_string(c.a) + " " + std::to_string(c.b) + ": " + hashes);
}

// A size beyond the tree is claimed with the true claim's root (root_for).
// RFC 9162 proofs bind the sizes only through the shape of the path they
// walk, so other sizes with the same shape verify the same true proof (found:
// 2^61 -> 2^64 - 213 takes the proof of 2 -> 11, each three right-hand
// siblings). That is the RFC's, not a flaw: a checkpoint signs the size. What
// must hold is that nothing but the tree's own hashes ever verifies.
constexpr const char* kSizeAlias = "a claim at sizes beyond the tree verifies only with the tree's own hashes";

void inclusion(fuzz::ByteReader& in) {
    const std::size_t size = 1 + in.below(kLeaves);
    const std::size_t index = in.below(size);
    Claim c;
    c.a = index;
    c.b = size;
    c.leaf = raw(tree().leaves[index]);
    c.proof = raw_list(merkle::inclusion_proof(prefix(tree().leaves, size), index).value());
    c.root2 = tree().roots[size];
    apply_edits(in, c);
    if (!c.root2_edited) c.root2 = root_for(c.b, size);
    c.root1.clear();  // inclusion has one root
    if (!merkle::verify_inclusion(c.a, c.b, c.leaf, c.proof, c.root2)) return;
    if (c.root2_edited) return check_only_tree_hashes(c, "an inclusion under another root uses only the tree's hashes");
    if (c.b > kLeaves) return check_only_tree_hashes(c, kSizeAlias);
    const bool true_claim = c.b >= 1 && c.b <= kLeaves && c.a < c.b && c.leaf == raw(tree().leaves[c.a]) &&
                            c.root2 == tree().roots[c.b] &&
                            c.proof == raw_list(merkle::inclusion_proof(prefix(tree().leaves, c.b), c.a).value());
    fuzz::check(true_claim, "only a true inclusion with its true proof verifies",
                "index " + std::to_string(c.a) + " size " + std::to_string(c.b) + " (true: " + std::to_string(index) +
                    " of " + std::to_string(size) + ")");
}

void consistency(fuzz::ByteReader& in) {
    const std::size_t size2 = 1 + in.below(kLeaves);
    const std::size_t size1 = 1 + in.below(size2);
    Claim c;
    c.a = size1;
    c.b = size2;
    c.proof = raw_list(merkle::consistency_proof(prefix(tree().leaves, size2), size1).value());
    c.root1 = tree().roots[size1];
    c.root2 = tree().roots[size2];
    apply_edits(in, c);
    if (!c.root1_edited) c.root1 = root_for(c.a, size1);
    if (!c.root2_edited) c.root2 = root_for(c.b, size2);
    if (!merkle::verify_consistency(c.a, c.b, c.root1, c.root2, c.proof)) return;
    if ((c.root1_edited || c.root2_edited) && c.a != c.b)
        return check_only_tree_hashes(c, "a consistency between other roots uses only the tree's hashes");
    if (c.a != c.b && (c.a > kLeaves || c.b > kLeaves)) return check_only_tree_hashes(c, kSizeAlias);
    bool true_claim = false;
    if (c.a == c.b) {
        true_claim = c.a >= 1 && c.root1 == c.root2 && c.proof.empty();  // a tree is consistent with itself
    } else {
        true_claim = c.a >= 1 && c.a < c.b && c.b <= kLeaves && c.root1 == tree().roots[c.a] &&
                     c.root2 == tree().roots[c.b] &&
                     c.proof == raw_list(merkle::consistency_proof(prefix(tree().leaves, c.b), c.a).value());
    }
    fuzz::check(true_claim, "only a true consistency with its true proof verifies",
                "sizes " + std::to_string(c.a) + " -> " + std::to_string(c.b) + " (true: " + std::to_string(size1) +
                    " -> " + std::to_string(size2) + ")");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)tree();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::ByteReader in(data, size);
    if (in.byte() & 1) consistency(in);
    else inclusion(in);
    return 0;
}
