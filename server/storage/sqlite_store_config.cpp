// SqliteStore: sites, notices and API keys. Written through the admin
// connection (rare writes, one at a time), read through the read pool.
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "consent/consent/notice.hpp"
#include "consent/json/canonical_json.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::server {
namespace {

using sqlite::Connection;
using sqlite::Statement;

bool read_string_list(const std::string& text, std::vector<std::string>& out) {
    const auto list = nlohmann::json::parse(text, nullptr, false);
    if (!list.is_array()) return false;
    for (const auto& item : list) {
        if (!item.is_string()) return false;
        out.push_back(item.get<std::string>());
    }
    return true;
}

std::optional<Site> read_site(const Statement& row) {
    Site site{row.text(0), {}, row.int64(2), {}};
    if (!read_string_list(row.text(1), site.allowed_origins)) return std::nullopt;
    if (!read_string_list(row.text(3), site.subject_token_keys)) return std::nullopt;
    return site;
}

// The notice is read back from the exact canonical text that was stored.
std::optional<StoredNotice> read_notice(const Statement& row) {
    std::string canonical = row.text(1);
    auto notice = parse_notice_text(canonical);
    if (!notice) return std::nullopt;
    return StoredNotice{row.text(0), std::move(notice.value()), row.text(2), std::move(canonical), row.int64(3)};
}

std::optional<ApiKeyRecord> read_api_key(const Statement& row) {
    ApiKeyRecord key{row.text(0), row.text(1), row.text(2), row.int64(3), std::nullopt, ""};
    if (!row.is_null(4)) key.revoked_at = row.int64(4);
    if (!row.is_null(5)) key.backend = row.text(5);
    return key;
}

constexpr const char* kSelectNotices =
    "SELECT site_id, canonical_json, content_hash, published_at FROM notices WHERE site_id = ?1 ";

Result<bool> site_exists(Connection& c, const std::string& site_id) {
    return sqlite::has_row(c, "SELECT 1 FROM sites WHERE site_id = ?1", [&](Statement& s) { s.bind(1, site_id); });
}

Status require_site(Connection& c, const std::string& site_id) {
    auto found = site_exists(c, site_id);
    if (!found) return found.error();
    if (!*found) return make_error("storage.unknown_site", "no such site");
    return Unit{};
}

// The stored hash and text must be the notice's own: a receipt names the hash,
// and the text is what a person is later shown to have seen.
Status check_notice_consistent(const StoredNotice& n) {
    if (n.content_hash != notice_content_hash(n.notice))
        return make_error("storage.notice_inconsistent", "content_hash is not the notice's content hash");
    auto canonical = canonicalize(notice_to_json(n.notice));
    if (!canonical) return canonical.error();
    if (*canonical != n.canonical_json)
        return make_error("storage.notice_inconsistent", "canonical_json is not the notice's canonical JSON");
    return Unit{};
}

// A published version is immutable and versions only grow; the notice id
// names the site's notice across all its versions.
Status check_notice_version(Connection& c, const StoredNotice& n) {
    auto exists = sqlite::has_row(c, "SELECT 1 FROM notices WHERE site_id = ?1 AND version = ?2",
                                  [&](Statement& s) { s.bind(1, n.site_id).bind(2, n.notice.version); });
    if (!exists) return exists.error();
    if (*exists) return make_error("storage.notice_version_exists", "this notice version is already published");
    auto latest = c.prepare("SELECT version, notice_id FROM notices WHERE site_id = ?1 ORDER BY version DESC LIMIT 1");
    if (!latest) return latest.error();
    auto row = latest.value().bind(1, n.site_id).step();
    if (!row) return row.error();
    if (!*row) return Unit{};
    if (n.notice.version < latest.value().int64(0))
        return make_error("storage.notice_version_order", "a notice version must be newer than the latest one");
    if (n.notice.notice_id != latest.value().text(1))
        return make_error("storage.notice_id_changed", "a site's notice keeps its notice id across versions");
    return Unit{};
}

Status insert_notice(Connection& c, const StoredNotice& n) {
    auto statement = c.prepare(
        "INSERT INTO notices (site_id, version, notice_id, material, content_hash, canonical_json, published_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, n.site_id)
        .bind(2, n.notice.version)
        .bind(3, n.notice.notice_id)
        .bind(4, std::int64_t{n.notice.material ? 1 : 0})
        .bind(5, n.content_hash)
        .bind(6, n.canonical_json)
        .bind(7, n.published_at)
        .run();
}

Status insert_api_key(Connection& c, const ApiKeyRecord& key) {
    auto statement = c.prepare(
        "INSERT INTO api_keys (key_id, site_id, key_hash, created_at, revoked_at, backend) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!statement) return statement.error();
    Statement& s = statement.value();
    s.bind(1, key.key_id).bind(2, key.site_id).bind(3, key.key_hash).bind(4, key.created_at);
    if (key.revoked_at) s.bind(5, *key.revoked_at);
    else s.bind_null(5);
    if (key.backend.empty()) s.bind_null(6);
    else s.bind(6, key.backend);
    return s.run();
}

}  // namespace

Status SqliteStore::put_site(const Site& site) try {
    const std::string origins = nlohmann::json(site.allowed_origins).dump();
    const std::string token_keys = nlohmann::json(site.subject_token_keys).dump();
    std::lock_guard<std::mutex> lock(admin_mutex_);
    Status written = sqlite::in_transaction(*admin_, [&](Connection& c) -> Status {
        // created_at records the first put; later puts change the allowlist only.
        auto statement = c.prepare(
            "INSERT INTO sites (site_id, allowed_origins, created_at, subject_token_keys) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (site_id) DO UPDATE SET allowed_origins = excluded.allowed_origins, "
            "subject_token_keys = excluded.subject_token_keys");
        if (!statement) return statement.error();
        return statement.value()
            .bind(1, site.site_id)
            .bind(2, origins)
            .bind(3, site.created_at)
            .bind(4, token_keys)
            .run();
    });
    sites_.forget(site.site_id);  // whether or not it was written: the next request reads the file again
    return written;
} catch (...) {
    sites_.forget(site.site_id);
    return sqlite::internal_error();
}

Result<Site> SqliteStore::site(const std::string& site_id) try {
    return sites_.find(site_id, [&] {
        return sqlite::only_row(
            sqlite::read_rows<Site>(
                *reads_,
                "SELECT site_id, allowed_origins, created_at, subject_token_keys FROM sites WHERE site_id = ?1",
                [&](Statement& s) { s.bind(1, site_id); }, read_site),
            "site");
    });
} catch (...) {
    return sqlite::internal_error();
}

Status SqliteStore::publish_notice(const StoredNotice& notice) try {
    auto consistent = check_notice_consistent(notice);
    if (!consistent) return consistent;
    std::lock_guard<std::mutex> lock(admin_mutex_);
    return sqlite::in_transaction(*admin_, [&](Connection& c) -> Status {
        if (auto site_ok = require_site(c, notice.site_id); !site_ok) return site_ok;
        if (auto order_ok = check_notice_version(c, notice); !order_ok) return order_ok;
        return insert_notice(c, notice);
    });
} catch (...) {
    return sqlite::internal_error();
}

Result<StoredNotice> SqliteStore::notice(const std::string& site_id, std::int64_t version) try {
    return sqlite::only_row(sqlite::read_rows<StoredNotice>(
                                *reads_, std::string(kSelectNotices) + "AND version = ?2",
                                [&](Statement& s) { s.bind(1, site_id).bind(2, version); }, read_notice),
                            "notice version");
} catch (...) {
    return sqlite::internal_error();
}

Result<StoredNotice> SqliteStore::current_notice(const std::string& site_id) try {
    return sqlite::only_row(sqlite::read_rows<StoredNotice>(
                                *reads_, std::string(kSelectNotices) + "ORDER BY version DESC LIMIT 1",
                                [&](Statement& s) { s.bind(1, site_id); }, read_notice),
                            "notice");
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<StoredNotice>> SqliteStore::notices(const std::string& site_id) try {
    return sqlite::read_rows<StoredNotice>(
        *reads_, std::string(kSelectNotices) + "ORDER BY version", [&](Statement& s) { s.bind(1, site_id); },
        read_notice);
} catch (...) {
    return sqlite::internal_error();
}

Status SqliteStore::put_api_key(const ApiKeyRecord& key) try {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    return sqlite::in_transaction(*admin_, [&](Connection& c) -> Status {
        if (auto site_ok = require_site(c, key.site_id); !site_ok) return site_ok;
        auto taken = sqlite::has_row(c, "SELECT 1 FROM api_keys WHERE key_id = ?1",
                                     [&](Statement& s) { s.bind(1, key.key_id); });
        if (!taken) return taken.error();
        if (*taken) return make_error("storage.api_key_exists", "an API key with this id exists");
        return insert_api_key(c, key);
    });
} catch (...) {
    return sqlite::internal_error();
}

Status SqliteStore::revoke_api_key(const std::string& key_id, std::int64_t now) try {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    Status revoked = sqlite::in_transaction(*admin_, [&](Connection& c) -> Status {
        auto found =
            sqlite::has_row(c, "SELECT 1 FROM api_keys WHERE key_id = ?1", [&](Statement& s) { s.bind(1, key_id); });
        if (!found) return found.error();
        if (!*found) return make_error("storage.unknown_api_key", "no such API key");
        // Revoking twice keeps the first time: that is when the key stopped working.
        auto statement = c.prepare("UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL");
        if (!statement) return statement.error();
        return statement.value().bind(1, key_id).bind(2, now).run();
    });
    // Committed (or failed: then the key may still be as it was): read it afresh.
    keys_.forget(key_id);
    return revoked;
} catch (...) {
    return sqlite::internal_error();
}

// Every backend request asks: from memory once read (read_cache.hpp). A key
// revoked here is forgotten at its commit; one revoked by another process
// within the foreign-write watch's period. An unknown id is not kept.
Result<ApiKeyRecord> SqliteStore::api_key(const std::string& key_id) try {
    ReadCache<ApiKeyRecord>::Ticket ticket;
    if (auto cached = keys_.find(key_id, &ticket)) return *cached;
    auto key = sqlite::only_row(
        sqlite::read_rows<ApiKeyRecord>(
            *reads_,
            "SELECT key_id, site_id, key_hash, created_at, revoked_at, backend FROM api_keys WHERE key_id = ?1",
            [&](Statement& s) { s.bind(1, key_id); }, read_api_key),
        "API key");
    if (key) keys_.fill(key_id, ticket, *key);
    return key;
} catch (...) {
    return sqlite::internal_error();
}

}  // namespace consent::server
