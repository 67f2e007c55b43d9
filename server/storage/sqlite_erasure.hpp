// Erasure in the SQLite store (issue #13, docs/erasure.md): the writes made in
// the erasure receipt's own batch transaction, the scrub of the files after
// COMMIT, the reads of erasures and retention policies, and the audit of
// every erased row against the erasure receipt that names it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "consent/base/result.hpp"
#include "storage/append_pipeline.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class ReadPool;

// The log writer calls this inside a batch's transaction, after the batch's
// receipts and state, for an append whose request carries an erasure order:
// erases the named receipts (schema version 4 lets exactly that update
// through), deletes their acknowledgements and the subject's current state,
// folds the state again from any of the subject's receipts that stay, and
// keeps the subject tag. storage.erasure_conflict when a named receipt is not
// an unerased receipt of the order's subject and site.
Status apply_erasure(Connection& connection, const SealedAppend& append);

// After the COMMIT: copies the WAL into the file and truncates it, so the
// erased bytes (zeroed in the pages by secure_delete) are nowhere in either
// file. storage.unavailable when a reader kept the WAL from being truncated.
Status scrub_files(Connection& connection);

// The erasure receipts recorded for a subject tag, oldest first.
Result<std::vector<StoredReceipt>> subject_erasures(ReadPool& reads, const std::string& site_id,
                                                    const std::string& subject_tag);

Status set_retention(Connection& connection, const std::string& site_id, std::int64_t keep_seconds);
Result<std::int64_t> retention(ReadPool& reads, const std::string& site_id);
Result<std::vector<std::pair<std::string, std::int64_t>>> retention_policies(ReadPool& reads);

// rebuild_check's part: every leaf has its row; every row without a JWS is
// named by erasures, in the erased form, and its erasure receipt (a valid
// erasure JWS in its own row) lists it with its stored leaf hash and the
// residue the row keeps; each erasure receipt's columns match its payload and
// the site's erasure receipts chain. storage.receipt_missing otherwise.
Status check_erasures(Connection& connection);

}  // namespace consent::server::sqlite
