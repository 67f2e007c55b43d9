// RFC 9162 §2.1 Merkle tree math. Generation follows the recursive
// definitions (MTH, PATH, SUBPROOF) literally; verification follows the
// iterative algorithms of §2.1.3.2 and §2.1.4.2, so the two are independent
// and the tests can check one against the other.
#include "consent/log/merkle.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace consent::merkle {
namespace {

using RawHash = std::vector<std::uint8_t>;
using RawProof = std::vector<RawHash>;

// RFC 9162 §2.1.1: domain separation between leaves and interior nodes, so a
// node can never be passed off as a leaf (second-preimage resistance).
constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// RFC 9162 §2.1.1: k is the largest power of two smaller than n (n >= 2).
// Written as k < n - k so that doubling k can never overflow.
std::size_t split_point(std::size_t n) noexcept {
    std::size_t k = 1;
    while (k < n - k) k <<= 1;
    return k;
}

// RFC 9162 §2.1.1 MTH over leaves[0..n), n >= 1, with leaf hashes given.
Hash subtree_root(const Hash* leaves, std::size_t n) {
    if (n == 1) return leaves[0];
    const std::size_t k = split_point(n);
    return node_hash(subtree_root(leaves, k), subtree_root(leaves + k, n - k));
}

// RFC 9162 §2.1.3.1 PATH(m, D[n]): the path from the leaf up, so the sibling
// subtree root is appended after the deeper part of the path.
void append_path(std::size_t m, const Hash* leaves, std::size_t n, std::vector<Hash>& out) {
    if (n == 1) return;
    const std::size_t k = split_point(n);
    if (m < k) {
        append_path(m, leaves, k, out);
        out.push_back(subtree_root(leaves + k, n - k));
    } else {
        append_path(m - k, leaves + k, n - k, out);
        out.push_back(subtree_root(leaves, k));
    }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b); `whole` is b: true while the old
// tree's root is known to the verifier and so need not be sent.
void append_subproof(std::size_t m, const Hash* leaves, std::size_t n, bool whole, std::vector<Hash>& out) {
    if (m == n) {
        if (!whole) out.push_back(subtree_root(leaves, n));
        return;
    }
    const std::size_t k = split_point(n);
    if (m <= k) {
        append_subproof(m, leaves, k, whole, out);
        out.push_back(subtree_root(leaves + k, n - k));
    } else {
        append_subproof(m - k, leaves + k, n - k, false, out);
        out.push_back(subtree_root(leaves, k));
    }
}

Hash to_hash(const RawHash& raw) noexcept {
    Hash hash{};
    std::copy(raw.begin(), raw.end(), hash.begin());  // callers checked raw.size() == 32
    return hash;
}

bool equal_bytes(const Hash& hash, const RawHash& raw) noexcept {
    return std::equal(hash.begin(), hash.end(), raw.begin(), raw.end());
}

Error bad_hash_size(const std::string& what, std::size_t size) {
    return make_error("merkle.bad_hash_size",
                      what + " is " + std::to_string(size) + " bytes long, not the 32 of a SHA-256 hash.");
}

// Untrusted hashes are checked before any of them is used, so a short or long
// element is reported as such rather than as a root mismatch.
Status check_hash_sizes(const RawHash& a, const char* a_name, const RawHash& b, const char* b_name,
                        const RawProof& proof) {
    if (a.size() != kSha256Size) return bad_hash_size(a_name, a.size());
    if (b.size() != kSha256Size) return bad_hash_size(b_name, b.size());
    for (std::size_t i = 0; i < proof.size(); ++i) {
        if (proof[i].size() != kSha256Size) {
            return bad_hash_size("proof element " + std::to_string(i), proof[i].size());
        }
    }
    return Unit{};
}

Error proof_wrong_length(std::size_t got) {
    return make_error("merkle.proof_wrong_length", "a proof of " + std::to_string(got) +
                                                       " hashes does not have the length these tree sizes require.");
}

// RFC 9162 §2.1.3.2 steps 2-5 (without the root comparison). Running out of
// levels early (sn reaches 0) or having levels left (sn != 0) means the proof
// has the wrong number of elements for (index, size).
Result<Hash> root_from_inclusion_path(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                                      const RawProof& proof) {
    std::uint64_t fn = index;
    std::uint64_t sn = size - 1;  // size > index >= 0, so no wrap-around
    Hash r = leaf;
    for (const RawHash& raw : proof) {
        if (sn == 0) return proof_wrong_length(proof.size());
        const Hash p = to_hash(raw);
        if ((fn & 1u) != 0 || fn == sn) {
            r = node_hash(p, r);
            while ((fn & 1u) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return proof_wrong_length(proof.size());
    return r;
}

// The running state of RFC 9162 §2.1.4.2 steps 3-6.
struct ConsistencyWalk {
    std::uint64_t fn;
    std::uint64_t sn;
    Hash fr;
    Hash sr;
};

// RFC 9162 §2.1.4.2 step 6.b and 6.c for one proof element c.
void consistency_step(ConsistencyWalk& walk, const Hash& c) {
    if ((walk.fn & 1u) != 0 || walk.fn == walk.sn) {
        walk.fr = node_hash(c, walk.fr);
        walk.sr = node_hash(c, walk.sr);
        while ((walk.fn & 1u) == 0 && walk.fn != 0) {
            walk.fn >>= 1;
            walk.sn >>= 1;
        }
    } else {
        walk.sr = node_hash(walk.sr, c);
    }
    walk.fn >>= 1;
    walk.sn >>= 1;
}

constexpr bool is_power_of_two(std::uint64_t v) noexcept { return v != 0 && (v & (v - 1)) == 0; }

// RFC 9162 §2.1.4.2 steps 2-7 (without the root comparisons); requires
// 0 < size1 < size2 and a non-empty proof of 32-byte hashes. Returns (fr, sr).
Result<std::pair<Hash, Hash>> roots_from_consistency_path(std::uint64_t size1, std::uint64_t size2,
                                                          const Hash& first_hash, const RawProof& proof) {
    // Step 2: a power-of-two old tree is itself a subtree of the new one, so
    // its root starts the path instead of being sent. Read, not copied, here.
    const bool starts_with_first = is_power_of_two(size1);
    std::size_t next = 0;
    const Hash seed = starts_with_first ? first_hash : to_hash(proof[next++]);
    ConsistencyWalk walk{size1 - 1, size2 - 1, seed, seed};  // steps 3 and 5
    while ((walk.fn & 1u) != 0) {                            // step 4
        walk.fn >>= 1;
        walk.sn >>= 1;
    }
    for (; next < proof.size(); ++next) {
        if (walk.sn == 0) return proof_wrong_length(proof.size());  // step 6.a
        consistency_step(walk, to_hash(proof[next]));
    }
    if (walk.sn != 0) return proof_wrong_length(proof.size());  // step 7
    return std::make_pair(walk.fr, walk.sr);
}

// Equal sizes: the only valid proof is empty and the roots must be the same
// bytes. The lengths are deliberately not checked here: a tree is consistent
// with itself whatever its root looks like (shared vector
// consistency/additional/sizes-are-equal-one-and-proof-is-empty expects ok).
Status verify_same_tree(const RawHash& root1, const RawHash& root2, const RawProof& proof) {
    if (!proof.empty()) {
        return make_error("merkle.proof_not_empty", "a consistency proof between equal tree sizes must be empty.");
    }
    if (root1 != root2) {
        return make_error("merkle.root_mismatch", "equal tree sizes have different roots.");
    }
    return Unit{};
}

}  // namespace

Hash leaf_hash(std::string_view leaf_data) noexcept {
    Sha256 hasher;
    hasher.update(&kLeafPrefix, 1);
    hasher.update(leaf_data);
    return hasher.finish();
}

Hash node_hash(const Hash& left, const Hash& right) noexcept {
    Sha256 hasher;
    hasher.update(&kNodePrefix, 1);
    hasher.update(left.data(), left.size());
    hasher.update(right.data(), right.size());
    return hasher.finish();
}

// RFC 9162 §2.1.1: MTH({}) = SHA-256().
Hash empty_root() noexcept { return sha256(std::string_view{}); }

Hash root_from_leaf_hashes(const std::vector<Hash>& leaf_hashes) {
    if (leaf_hashes.empty()) return empty_root();
    return subtree_root(leaf_hashes.data(), leaf_hashes.size());
}

Result<std::vector<Hash>> inclusion_proof(const std::vector<Hash>& leaf_hashes, std::uint64_t index) {
    if (index >= leaf_hashes.size()) {
        return make_error("merkle.index_out_of_range", "leaf index " + std::to_string(index) +
                                                           " is not below tree size " +
                                                           std::to_string(leaf_hashes.size()) + ".");
    }
    std::vector<Hash> proof;
    append_path(static_cast<std::size_t>(index), leaf_hashes.data(), leaf_hashes.size(), proof);
    return proof;
}

Result<std::vector<Hash>> consistency_proof(const std::vector<Hash>& leaf_hashes, std::uint64_t old_size) {
    if (old_size > leaf_hashes.size()) {
        return make_error("merkle.size_order", "old tree size " + std::to_string(old_size) +
                                                   " is larger than tree size " + std::to_string(leaf_hashes.size()) +
                                                   ".");
    }
    // RFC 9162 §2.1.4.1 defines proofs for 0 < m only; the verifier rejects 0 too.
    if (old_size == 0) {
        return make_error("merkle.empty_tree", "there is no consistency proof from an empty tree.");
    }
    std::vector<Hash> proof;
    append_subproof(static_cast<std::size_t>(old_size), leaf_hashes.data(), leaf_hashes.size(), true, proof);
    return proof;
}

Status verify_inclusion(std::uint64_t leaf_index, std::uint64_t tree_size, const std::vector<std::uint8_t>& leaf_hash,
                        const std::vector<std::vector<std::uint8_t>>& proof, const std::vector<std::uint8_t>& root) {
    // RFC 9162 §2.1.3.2 step 1 (also rejects every index of an empty tree).
    if (leaf_index >= tree_size) {
        return make_error(
            "merkle.index_out_of_range",
            "leaf index " + std::to_string(leaf_index) + " is not below tree size " + std::to_string(tree_size) + ".");
    }
    if (Status sizes = check_hash_sizes(leaf_hash, "leaf hash", root, "root", proof); !sizes) {
        return sizes;
    }
    const Result<Hash> computed = root_from_inclusion_path(leaf_index, tree_size, to_hash(leaf_hash), proof);
    if (!computed) return computed.error();
    // RFC 9162 §2.1.3.2 step 5.
    if (!equal_bytes(*computed, root)) {
        return make_error("merkle.root_mismatch", "the inclusion proof does not lead to the root.");
    }
    return Unit{};
}

Status verify_consistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::uint8_t>& root1,
                          const std::vector<std::uint8_t>& root2, const std::vector<std::vector<std::uint8_t>>& proof) {
    if (size1 > size2) {
        return make_error("merkle.size_order",
                          "size1 " + std::to_string(size1) + " is larger than size2 " + std::to_string(size2) + ".");
    }
    // RFC 9162 §2.1.4.1 defines consistency for 0 < m: an empty old tree
    // commits to nothing, so "consistent with it" would prove nothing.
    if (size1 == 0) {
        return make_error("merkle.empty_tree", "size1 is 0: an empty tree has no consistency proof.");
    }
    if (size1 == size2) return verify_same_tree(root1, root2, proof);
    if (Status sizes = check_hash_sizes(root1, "root1", root2, "root2", proof); !sizes) {
        return sizes;
    }
    if (proof.empty()) return proof_wrong_length(0);  // RFC 9162 §2.1.4.2 step 1
    const auto roots = roots_from_consistency_path(size1, size2, to_hash(root1), proof);
    if (!roots) return roots.error();
    // RFC 9162 §2.1.4.2 step 7.
    if (!equal_bytes(roots->first, root1)) {
        return make_error("merkle.root_mismatch", "the consistency proof does not lead to root1.");
    }
    if (!equal_bytes(roots->second, root2)) {
        return make_error("merkle.root_mismatch", "the consistency proof does not lead to root2.");
    }
    return Unit{};
}

}  // namespace consent::merkle
