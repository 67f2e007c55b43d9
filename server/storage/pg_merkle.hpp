// The PostgreSQL store's Merkle log: the same stored complete subtrees as the
// SQLite file (sqlite_merkle.hpp, RFC 9162 §2.1), read with one query per
// root or proof: every node a request needs is named first, then fetched at
// once, so a proof costs one round trip to the server, not log2(n).
#pragma once

#include <cstdint>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "storage/pg_connection.hpp"

namespace consent::server::pg {

// The log's size as log_state holds it (the writers keep it equal to the receipts' count).
Result<std::int64_t> log_size(Connection& connection);
Result<merkle::Frontier> load_frontier(Connection& connection, std::int64_t size);
Result<merkle::Hash> root_at(Connection& connection, std::int64_t size);
Result<std::vector<merkle::Hash>> inclusion_proof(Connection& connection, std::int64_t index, std::int64_t size);
Result<std::vector<merkle::Hash>> consistency_proof(Connection& connection, std::int64_t from, std::int64_t to);

std::optional<merkle::Hash> as_hash(const std::optional<std::vector<std::uint8_t>>& bytes);

}  // namespace consent::server::pg
