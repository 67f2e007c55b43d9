#include "storage/store_opener.hpp"

#include <utility>

#include "storage/pg_store.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::server {

Result<std::unique_ptr<ReceiptStore>> open_store(const std::string& database, std::function<std::int64_t()> clock) {
    if (is_postgresql_url(database)) {
        auto store = PgStore::open(database, std::move(clock));
        if (!store) return store.error();
        return std::unique_ptr<ReceiptStore>(std::move(store.value()));
    }
    auto store = SqliteStore::open(database, std::move(clock));
    if (!store) return store.error();
    return std::unique_ptr<ReceiptStore>(std::move(store.value()));
}

std::string database_for_display(const std::string& database) {
    if (!is_postgresql_url(database)) return database;
    std::string shown = database;
    const auto scheme_end = shown.find("://") + 3;
    const auto at = shown.find('@', scheme_end);
    const auto colon = shown.find(':', scheme_end);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
        shown.replace(colon + 1, at - colon - 1, "…");
    const auto query = shown.find('?');
    if (query != std::string::npos && shown.find("password", query) != std::string::npos) shown.erase(query);
    return shown;
}

}  // namespace consent::server
