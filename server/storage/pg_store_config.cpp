// PgStore: sites, notices and API keys (rare writes, each in its own
// transaction on a pooled connection; replicas may write at once, so the
// rules are checked under a lock of the site's row).
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "consent/consent/notice.hpp"
#include "consent/json/canonical_json.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_schema.hpp"
#include "storage/pg_store.hpp"

namespace consent::server {
namespace {

using pg::Connection;
using pg::param;
using pg::Rows;

bool read_string_list(const std::string& text, std::vector<std::string>& out) {
    const auto list = nlohmann::json::parse(text, nullptr, false);
    if (!list.is_array()) return false;
    for (const auto& item : list) {
        if (!item.is_string()) return false;
        out.push_back(item.get<std::string>());
    }
    return true;
}

Error corrupt() { return make_error("storage.corrupt_row", "a stored row does not read back"); }

// The notice is read back from the exact canonical text that was stored.
Result<std::vector<StoredNotice>> read_notices(Result<Rows> rows) {
    if (!rows) return rows.error();
    std::vector<StoredNotice> out;
    for (int r = 0; r < rows->size(); ++r) {
        std::string canonical = rows->text(r, 1);
        auto notice = parse_notice_text(canonical);
        if (!notice) return corrupt();
        out.push_back(StoredNotice{rows->text(r, 0), std::move(notice.value()), rows->text(r, 2), std::move(canonical),
                                   rows->int64(r, 3)});
    }
    return out;
}

constexpr const char* kSelectNotices =
    "SELECT site_id, canonical_json, content_hash, published_at FROM notices WHERE site_id = $1 ";

// Locks the site's row for the transaction: publishes and key changes of one site take turns.
Status lock_site(Connection& c, const std::string& site_id) {
    auto rows = c.query("SELECT 1 FROM sites WHERE site_id = $1 FOR UPDATE", {param(site_id)});
    if (!rows) return rows.error();
    if (rows->size() == 0) return make_error("storage.unknown_site", "no such site");
    return Unit{};
}

// The stored hash and text must be the notice's own.
Status check_notice_consistent(const StoredNotice& n) {
    if (n.content_hash != notice_content_hash(n.notice))
        return make_error("storage.notice_inconsistent", "content_hash is not the notice's content hash");
    auto canonical = canonicalize(notice_to_json(n.notice));
    if (!canonical) return canonical.error();
    if (*canonical != n.canonical_json)
        return make_error("storage.notice_inconsistent", "canonical_json is not the notice's canonical JSON");
    return Unit{};
}

// A published version is immutable and versions only grow; the notice id stays.
Status check_notice_version(Connection& c, const StoredNotice& n) {
    auto latest = c.query("SELECT version, notice_id FROM notices WHERE site_id = $1 ORDER BY version DESC LIMIT 1",
                          {param(n.site_id)});
    if (!latest) return latest.error();
    if (latest->size() == 0) return Unit{};
    auto exists = c.query("SELECT 1 FROM notices WHERE site_id = $1 AND version = $2",
                          {param(n.site_id), param(n.notice.version)});
    if (!exists) return exists.error();
    if (exists->size() != 0)
        return make_error("storage.notice_version_exists", "this notice version is already published");
    if (n.notice.version < latest->int64(0, 0))
        return make_error("storage.notice_version_order", "a notice version must be newer than the latest one");
    if (n.notice.notice_id != latest->text(0, 1))
        return make_error("storage.notice_id_changed", "a site's notice keeps its notice id across versions");
    return Unit{};
}

}  // namespace

Status PgStore::put_site(const Site& site) try {
    const std::string origins = nlohmann::json(site.allowed_origins).dump();
    const std::string token_keys = nlohmann::json(site.subject_token_keys).dump();
    // created_at records the first put; later puts change the allowlist and keys only.
    auto written =
        pg::query(*pool_,
                  "INSERT INTO sites (site_id, allowed_origins, created_at, subject_token_keys) "
                  "VALUES ($1, $2, $3, $4) ON CONFLICT (site_id) DO UPDATE SET "
                  "allowed_origins = excluded.allowed_origins, subject_token_keys = excluded.subject_token_keys",
                  {param(site.site_id), param(origins), param(site.created_at), param(token_keys)});
    sites_.forget(site.site_id);  // whether or not it was written: the next request reads it again
    if (!written) return written.error();
    return Unit{};
} catch (...) {
    sites_.forget(site.site_id);
    return pg::internal_error();
}

// Another replica's change to a site is seen here within kSiteCacheFor (site_cache.hpp).
Result<Site> PgStore::site(const std::string& site_id) try {
    return sites_.find(site_id, [&]() -> Result<Site> {
        auto rows = pg::query(
            *pool_, "SELECT site_id, allowed_origins, created_at, subject_token_keys FROM sites WHERE site_id = $1",
            {param(site_id)});
        if (!rows) return rows.error();
        if (rows->size() == 0) return make_error("storage.not_found", "no such site");
        Site site{rows->text(0, 0), {}, rows->int64(0, 2), {}};
        if (!read_string_list(rows->text(0, 1), site.allowed_origins) ||
            !read_string_list(rows->text(0, 3), site.subject_token_keys))
            return corrupt();
        return site;
    });
} catch (...) {
    return pg::internal_error();
}

Status PgStore::publish_notice(const StoredNotice& n) try {
    if (auto consistent = check_notice_consistent(n); !consistent) return consistent;
    return pg::in_transaction(*pool_, [&](Connection& c) -> Status {
        if (auto locked = lock_site(c, n.site_id); !locked) return locked;
        if (auto order_ok = check_notice_version(c, n); !order_ok) return order_ok;
        // Delivered at COMMIT: every replica drops its cached notice of the site.
        if (auto notified =
                c.run("SELECT pg_notify($1, $2)", {param(std::string(pg::kNoticeChannel)), param(n.site_id)});
            !notified)
            return notified;
        return c.run(
            "INSERT INTO notices (site_id, version, notice_id, material, content_hash, canonical_json, published_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {param(n.site_id), param(n.notice.version), param(n.notice.notice_id),
             param(std::string(n.notice.material ? "true" : "false")), param(n.content_hash), param(n.canonical_json),
             param(n.published_at)});
    });
} catch (...) {
    return pg::internal_error();
}

Result<StoredNotice> PgStore::notice(const std::string& site_id, std::int64_t version) try {
    return pg::only_row(read_notices(pg::query(*pool_, std::string(kSelectNotices) + "AND version = $2",
                                               {param(site_id), param(version)})),
                        "notice version");
} catch (...) {
    return pg::internal_error();
}

Result<StoredNotice> PgStore::current_notice(const std::string& site_id) try {
    return pg::only_row(read_notices(pg::query(*pool_, std::string(kSelectNotices) + "ORDER BY version DESC LIMIT 1",
                                               {param(site_id)})),
                        "notice");
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<StoredNotice>> PgStore::notices(const std::string& site_id) try {
    return read_notices(pg::query(*pool_, std::string(kSelectNotices) + "ORDER BY version", {param(site_id)}));
} catch (...) {
    return pg::internal_error();
}

Status PgStore::put_api_key(const ApiKeyRecord& key) try {
    return pg::in_transaction(*pool_, [&](Connection& c) -> Status {
        if (auto locked = lock_site(c, key.site_id); !locked) return locked;
        auto inserted = c.query(
            "INSERT INTO api_keys (key_id, site_id, key_hash, created_at, revoked_at, backend) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id) DO NOTHING RETURNING 1",
            {param(key.key_id), param(key.site_id), param(key.key_hash), param(key.created_at),
             key.revoked_at ? param(*key.revoked_at) : pg::Param(),
             key.backend.empty() ? pg::Param() : param(key.backend)});
        if (!inserted) return inserted.error();
        if (inserted->size() == 0) return make_error("storage.api_key_exists", "an API key with this id exists");
        return Unit{};
    });
} catch (...) {
    return pg::internal_error();
}

Status PgStore::revoke_api_key(const std::string& key_id, std::int64_t now) try {
    return pg::in_transaction(*pool_, [&](Connection& c) -> Status {
        auto found = c.query("SELECT 1 FROM api_keys WHERE key_id = $1 FOR UPDATE", {param(key_id)});
        if (!found) return found.error();
        if (found->size() == 0) return make_error("storage.unknown_api_key", "no such API key");
        // Revoking twice keeps the first time: that is when the key stopped working.
        return c.run("UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL",
                     {param(key_id), param(now)});
    });
} catch (...) {
    return pg::internal_error();
}

Result<ApiKeyRecord> PgStore::api_key(const std::string& key_id) try {
    auto rows = pg::query(
        *pool_, "SELECT key_id, site_id, key_hash, created_at, revoked_at, backend FROM api_keys WHERE key_id = $1",
        {param(key_id)});
    if (!rows) return rows.error();
    if (rows->size() == 0) return make_error("storage.not_found", "no such API key");
    ApiKeyRecord key{rows->text(0, 0), rows->text(0, 1), rows->text(0, 2), rows->int64(0, 3), std::nullopt, ""};
    if (!rows->is_null(0, 4)) key.revoked_at = rows->int64(0, 4);
    if (!rows->is_null(0, 5)) key.backend = rows->text(0, 5);
    return key;
} catch (...) {
    return pg::internal_error();
}

}  // namespace consent::server
