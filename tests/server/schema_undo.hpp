// What the schema versions added, undone: migration tests turn a current
// file (or PostgreSQL database) back into an older version's with them.
#pragma once

namespace consent::test {

// What SQLite schema version 6 (the Merkle log's tiles, issue #11) added.
inline constexpr const char* kUndoSchemaV6 = "DROP TABLE merkle_tiles; ";

// What SQLite schema version 5 (erasure, issue #13) added.
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

// What version 2 of the PostgreSQL schema (erasure, issue #13) added, undone:
// a database as a consentd of version 1 left it.
inline constexpr const char* kUndoPgSchemaV2 =
    "DROP TABLE erasures, erased_subjects, retention_policies; "
    "DROP TRIGGER receipts_no_delete ON receipts; DROP TRIGGER receipts_only_erased ON receipts; "
    "CREATE TRIGGER receipts_no_change BEFORE UPDATE OR DELETE ON receipts "
    "FOR EACH ROW EXECUTE FUNCTION consent_append_only(); "
    "DROP TRIGGER acknowledgements_no_update ON acknowledgements; "
    "DROP TRIGGER acknowledgements_only_erased ON acknowledgements; "
    "CREATE TRIGGER acknowledgements_no_change BEFORE UPDATE OR DELETE ON acknowledgements "
    "FOR EACH ROW EXECUTE FUNCTION consent_append_only(); "
    "DROP FUNCTION consent_erasure_names_a_receipt(); DROP FUNCTION consent_receipt_erased(); "
    "DROP FUNCTION consent_acknowledgement_of_erased(); "
    "UPDATE schema_version SET version = 1; ";

}  // namespace consent::test
