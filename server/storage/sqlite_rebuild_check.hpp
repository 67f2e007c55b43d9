// rebuild_check() of the SQLite store: folds every subject's receipts, in log
// order, through the core's apply_decision and compares the result with the
// current_state table in both directions; then audits the Merkle log against
// the receipts (sqlite_log_audit.hpp).
#pragma once

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// Runs in one read transaction, so appends committed meanwhile cannot make
// the two tables look different. storage.state_mismatch names the first
// differing (site, subject, purpose), storage.log_mismatch the first differing
// Merkle node or checkpoint.
Status rebuild_check(Connection& connection);

}  // namespace consent::server::sqlite
