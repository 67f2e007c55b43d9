// The Merkle log's half of rebuild_check(): the stored tree must be exactly
// the RFC 9162 tree over the receipts, and every checkpoint must sign a root
// of it. storage.log_mismatch names the first node (level, index) or
// checkpoint (tree size) that differs.
#pragma once

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// Call inside a read transaction (one snapshot of receipts, nodes and checkpoints).
Status check_log(Connection& connection);

}  // namespace consent::server::sqlite
