// Merkle tree math of RFC 9162 (Certificate Transparency v2), §2.1.
// Pure functions over hashes: the server stores the tree, the browser and
// `consentctl verify` check proofs with the same code.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/crypto/sha256.hpp"

namespace consent::merkle {

using Hash = Sha256Digest;

// RFC 9162 §2.1.1: MTH of a leaf is SHA-256(0x00 || leaf), of a node SHA-256(0x01 || l || r).
Hash leaf_hash(std::string_view leaf_data) noexcept;
Hash node_hash(const Hash& left, const Hash& right) noexcept;
Hash empty_root() noexcept;  // SHA-256 of the empty string

// Root over already-hashed leaves (MTH(D[n]) with leaf hashes given).
Hash root_from_leaf_hashes(const std::vector<Hash>& leaf_hashes);

// Proof generation over a full list of leaf hashes (§2.1.3.1 PATH, §2.1.4.1 PROOF).
// Used by tests as an independent in-memory tree and by small stores.
Result<std::vector<Hash>> inclusion_proof(const std::vector<Hash>& leaf_hashes, std::uint64_t index);
// consistency_proof: old_size 0 is merkle.empty_tree, old_size > size merkle.size_order,
// old_size == size gives the empty proof.
Result<std::vector<Hash>> consistency_proof(const std::vector<Hash>& leaf_hashes, std::uint64_t old_size);

// Verification (§2.1.3.2, §2.1.4.2). Proof elements and roots arrive as raw bytes
// because untrusted input may have the wrong length; any length other than 32 is an
// error, never a crash. Ok means the proof is valid.
// Error codes: merkle.index_out_of_range, merkle.bad_hash_size, merkle.proof_wrong_length,
// merkle.root_mismatch, merkle.size_order, merkle.proof_not_empty, merkle.empty_tree.
// Consistency, as the shared vectors require: size1 == 0 is always
// merkle.empty_tree (§2.1.4.1 defines proofs for 0 < m only); size1 == size2 is ok
// exactly when the proof is empty and root1 and root2 are the same bytes, whatever
// their length (a tree is consistent with itself; vector
// consistency/additional/sizes-are-equal-one-and-proof-is-empty).
Status verify_inclusion(std::uint64_t leaf_index, std::uint64_t tree_size, const std::vector<std::uint8_t>& leaf_hash,
                        const std::vector<std::vector<std::uint8_t>>& proof, const std::vector<std::uint8_t>& root);

Status verify_consistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::uint8_t>& root1,
                          const std::vector<std::uint8_t>& root2, const std::vector<std::vector<std::uint8_t>>& proof);

}  // namespace consent::merkle
