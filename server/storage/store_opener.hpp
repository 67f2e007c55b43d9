// The one place a --database value becomes a store: a PostgreSQL URL
// (postgresql://… or postgres://…, docs/replicas.md) opens PgStore, anything
// else is the path of an SQLite file (the embedded default). consentd and
// consentctl both open their store here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

Result<std::unique_ptr<ReceiptStore>> open_store(const std::string& database, std::function<std::int64_t()> clock);

// What a log line or a message may say of the database: a URL without its
// password (user:secret@ becomes user:…@, password=… in the query is dropped).
std::string database_for_display(const std::string& database);

}  // namespace consent::server
