// What schema version 5 (erasure, issue #13) added, undone: migration tests
// turn a current file back into an older version's with it.
#pragma once

namespace consent::test {

inline constexpr const char* kUndoSchemaV5 =
    "DROP TABLE erased_subjects; DROP TABLE erasures; DROP TABLE retention_policies; "
    "DROP TRIGGER receipts_no_update; "
    "CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts "
    "BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END; "
    "DROP TRIGGER acknowledgements_no_delete; "
    "CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements "
    "BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END; ";

// What schema version 4 (API keys bound to a backend, issue #15) added, undone.
inline constexpr const char* kUndoSchemaV4 =
    "DROP INDEX api_keys_by_backend; ALTER TABLE api_keys DROP COLUMN backend; ";

}  // namespace consent::test
