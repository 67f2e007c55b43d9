// The PostgreSQL store's schema (version 2 of its own series; version 2 is
// erasure and retention, the SQLite file's version 5): the same
// tables as the SQLite file (sqlite_schema.cpp) and the same append-only
// rules, written as PL/pgSQL triggers, plus log_state, the one row every
// writer locks to append (docs/replicas.md).
#pragma once

#include "consent/base/result.hpp"
#include "storage/pg_connection.hpp"

namespace consent::server::pg {

inline constexpr std::int64_t kSchemaVersion = 2;

// Creates the schema in an empty database, upgrades one an older consentd
// made, or checks its version (storage.schema_version when newer or foreign). Replicas starting at once
// take turns (an advisory lock), so exactly one creates it.
Status migrate_schema(Connection& connection);

// The notification channel of committed receipts: payload "<log index> <site id>".
inline constexpr const char* kReceiptChannel = "consent_receipts";
// The channel of published notice versions: payload "<site id>". Replicas
// drop their cached notice of the site at once (ConsentService caches it).
inline constexpr const char* kNoticeChannel = "consent_notices";

}  // namespace consent::server::pg
