// The SQLite store's Merkle log (RFC 9162 §2.1): leaf i is receipt i's compact
// JWS. The table merkle_nodes keeps node (level, idx) = the root of the
// complete subtree over leaves [idx * 2^level, (idx + 1) * 2^level), written
// in the same transaction as the receipt. Every subtree that RFC 9162's MTH,
// PATH and SUBPROOF name is then either one stored node (when complete) or the
// fold of at most log2(n) of them (the incomplete right edge), so roots and
// proofs take O(log n) point reads and never read the leaves. The nodes under
// a complete tile (sqlite_merkle_tiles.hpp) are read from its one row, so a
// proof of a tree of 10^7 leaves reads three tiles and the few top nodes that
// no complete tile holds yet, instead of 24 nodes each a B-tree descent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// The number of receipts, which is the number of leaves (the log is gapless from 0).
Result<std::int64_t> log_size(Connection& connection);

// The right edge of the first `size` leaves, read from the stored nodes (the
// writer keeps it in memory and appends with it).
Result<merkle::Frontier> load_frontier(Connection& connection, std::int64_t size);

// MTH of the first `size` leaves, from the stored nodes; size must be in
// [0, log size] (the empty tree's root is SHA-256 of nothing, §2.1.1).
Result<merkle::Hash> stored_root(Connection& connection, std::int64_t size);

// The interface's requests, checked against the log's current size first:
// storage.bad_proof_request for an index or size that names no tree or leaf.
Result<merkle::Hash> root_at(Connection& connection, std::int64_t size);
Result<std::vector<merkle::Hash>> inclusion_proof(Connection& connection, std::int64_t index, std::int64_t size);
Result<std::vector<merkle::Hash>> consistency_proof(Connection& connection, std::int64_t from, std::int64_t to);

// storage.log_mismatch naming one node: the message says where the log differs.
Error log_mismatch(std::int64_t level, std::int64_t index, const std::string& what);

// Stored node (level, index); storage.log_mismatch if it is missing or not 32 bytes.
Result<merkle::Hash> read_node(Connection& connection, std::uint64_t level, std::uint64_t index);

// A 32-byte BLOB column as a hash; nullopt for any other length or NULL.
std::optional<merkle::Hash> hash_column(const Statement& row, int column);

}  // namespace consent::server::sqlite
