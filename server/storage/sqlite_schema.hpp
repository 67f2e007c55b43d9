// The SQLite store's schema, its version, and the per-connection settings.
#pragma once

#include <cstdint>

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// Raised by one migration each; a file with a higher version was written by a
// newer consentd and is refused rather than misread.
inline constexpr std::int64_t kSchemaVersion = 6;

enum class Role { writer, reader };

// busy_timeout, foreign keys and synchronous=FULL (durable at COMMIT, as
// append() promises). The writer also switches the file to WAL, which lets
// readers run beside the log writer; the mode is stored in the file.
Status configure_connection(Connection& connection, Role role, int busy_timeout_ms);

// Creates a fresh file's schema or migrates an older one to kSchemaVersion, in
// one transaction. storage.schema_version when the file holds another
// version or is an SQLite file that consentd did not create.
Status migrate_schema(Connection& connection);

}  // namespace consent::server::sqlite
