// The PostgreSQL store's signed checkpoints: the table's rows as the interface's type.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "consent/base/result.hpp"
#include "storage/pg_connection.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server::pg {

Status insert_checkpoint(Connection& connection, const Checkpoint& checkpoint);
Result<std::optional<Checkpoint>> latest_checkpoint(Connection& connection);
Result<std::optional<Checkpoint>> checkpoint_at(Connection& connection, std::int64_t tree_size);
// Every checkpoint, smallest tree first (the audit).
Result<std::vector<Checkpoint>> all_checkpoints(Connection& connection);

}  // namespace consent::server::pg
