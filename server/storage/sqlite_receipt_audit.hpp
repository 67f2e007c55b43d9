// The receipts' half of rebuild_check(): every column of a receipt row that
// repeats something of the receipt (its ids, subject, time, method, chain
// hash, payload text and recorded decision) says exactly what its signed JWS
// says, and each subject's receipts chain by hash. The JWS itself is anchored
// by the Merkle log (sqlite_log_audit.hpp) and its signature is checked by
// `consentctl audit` against the key ring, so a row edited after the fact is
// caught whichever column was changed. storage.receipt_mismatch names the
// first row (log index) and column that differ.
#pragma once

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// Call inside a read transaction (one snapshot).
Status check_receipt_columns(Connection& connection);

}  // namespace consent::server::sqlite
