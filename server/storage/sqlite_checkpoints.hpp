// The checkpoints table: one signed tree head per batch that grew the log
// (RFC 9162 §4.10 in spirit), append-only, sizes strictly growing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

Status insert_checkpoint(Connection& connection, const Checkpoint& checkpoint);
// The checkpoint of the largest tree, if any has been signed.
Result<std::optional<Checkpoint>> latest_checkpoint(Connection& connection);
Result<std::optional<Checkpoint>> checkpoint_at(Connection& connection, std::int64_t tree_size);

// Every checkpoint, smallest tree first: row(const Checkpoint&) -> Status,
// stopping at the first error (rebuild_check's audit).
Status for_each_checkpoint(Connection& connection, const std::function<Status(const Checkpoint&)>& row);

}  // namespace consent::server::sqlite
