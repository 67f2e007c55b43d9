// A consistent copy of a live consentd database, taken with SQLite's online
// backup API while consentd keeps writing (docs/deployment.md "Backups").
//
// The copy is one snapshot: the pages are copied in a single step inside one
// read transaction, which in WAL mode never blocks the log writer (it only
// holds back the checkpoint of later frames until the copy is done). The copy
// is written beside the destination under a temporary name, switched to a
// rollback journal (one self-contained file, no -wal beside it), checked with
// PRAGMA integrity_check, fsynced, and only then linked to the destination:
// a failed or interrupted backup never leaves a file under that name.
#pragma once

#include <cstdint>
#include <string>

#include "consent/base/result.hpp"

namespace consent::server {

struct BackupSummary {
    std::int64_t receipts = 0;        // receipts in the copy
    std::int64_t schema_version = 0;  // the copy's schema version
    std::int64_t bytes = 0;           // the copy's size
};

// Errors: backup.no_source (no file at source), backup.exists (destination
// exists: a backup is never overwritten), backup.failed (SQLite's message, or
// an integrity check that did not say "ok"), backup.io_error.
Result<BackupSummary> backup_database(const std::string& source, const std::string& destination);

}  // namespace consent::server
