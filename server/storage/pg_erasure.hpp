// Erasure in the PostgreSQL store (issue #13, docs/erasure.md): the writes
// made in the erasure receipt's own batch transaction, the VACUUM after the
// COMMIT, and the audit of every erased row against the erasure receipt that
// names it. The same rules as the SQLite store's (sqlite_erasure.hpp).
#pragma once

#include "consent/base/result.hpp"
#include "storage/append_pipeline.hpp"
#include "storage/pg_connection.hpp"

namespace consent::server::pg {

// The log writer calls this inside a batch's transaction, after the batch's
// receipts and states, for an append whose request carries an erasure order:
// names the receipts in erasures, deletes their acknowledgements and the
// subject's current state, blanks the rows (schema version 2 lets exactly that
// UPDATE through), folds the state again from any of the subject's receipts
// that stay, and keeps the subject tag. storage.erasure_conflict when a named
// receipt is not an unerased receipt of the order's subject and site.
Status apply_erasure(Connection& connection, const SealedAppend& append);

// After the COMMIT, outside any transaction: VACUUM of the tables whose rows
// the erasure replaced or deleted, so their dead versions (which still hold
// the erased bytes) are removed from the heap, its TOAST and every index.
// (The contract's "no erased byte in the files" holds for every row version
// and index entry; a page's free space and the WAL may still hold them until
// overwritten or recycled: docs/erasure.md says what the operator can do.)
Status vacuum_erased(Connection& connection);

// rebuild_check's part (pg_erasure_audit.cpp), in the caller's snapshot:
// every leaf has its row; every row without a JWS is named by erasures, in
// the erased form, and listed by its erasure receipt with the stored leaf and
// the residue the row keeps; each erasure receipt's columns match its payload
// and the site's erasure receipts chain. storage.receipt_missing otherwise.
Status check_erasures(Connection& connection);

}  // namespace consent::server::pg
