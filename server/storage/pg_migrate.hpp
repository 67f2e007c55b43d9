// consentctl migrate (issue #12 item 5): copies an SQLite store into an empty
// PostgreSQL database, every table row for row: the receipts with their exact
// JWS and recorded decisions, the Merkle nodes, every signed checkpoint, the
// current state, sites, notices, API keys (hashes only, as stored),
// acknowledgements, erasures, erased subject tags and retention policies
// (issue #13; the erased rows as erased, no byte of them comes back). The file is read in one snapshot (consentd may
// keep running on it: what is written after the snapshot began is not copied), the database written in one transaction:
// all of it or nothing. The target's append-only triggers check every row as it goes in; `consentctl audit` on the copy
// then proves it complete and consistent (the same checkpoint roots).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

struct MigrationReport {
    std::int64_t receipts = 0;
    std::int64_t checkpoints = 0;
    std::int64_t sites = 0;
    std::int64_t notices = 0;
    std::optional<Checkpoint> latest;  // the file's latest checkpoint, now the database's
};

// Errors: migrate.not_empty (the database already holds a log or sites),
// storage.schema_version (a file of another version: open it with this
// consentd first), and the stores' own.
Result<MigrationReport> migrate_sqlite_to_postgresql(const std::string& sqlite_path, const std::string& url);

}  // namespace consent::server
