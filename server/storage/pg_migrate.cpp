#include "storage/pg_migrate.hpp"

#include <sqlite3.h>

#include <vector>

#include "consent/crypto/encoding.hpp"
#include "storage/pg_checkpoints.hpp"
#include "storage/pg_connection.hpp"
#include "storage/pg_schema.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/sqlite_schema.hpp"

namespace consent::server {
namespace {

// How a column travels: every value goes as text in a text[] parameter and
// is cast back in SQL, so one unnest insert serves every table.
enum class Kind { text, nullable_text, integer, nullable_integer, boolean, blob };

struct Table {
    const char* name;
    const char* columns;  // in the order of both the SELECT and the INSERT
    const char* order;    // the order the target's triggers need (children before parents, the log in order)
    std::vector<Kind> kinds;
};

// Receipts before the nodes and states that name them; nodes by level, so a
// parent follows its children; checkpoints by size (each must grow the tree).
const std::vector<Table>& tables() {
    using K = Kind;
    static const std::vector<Table> all{
        {"sites",
         "site_id, allowed_origins, subject_token_keys, created_at",
         "site_id",
         {K::text, K::text, K::text, K::integer}},
        {"notices",
         "site_id, version, notice_id, material, content_hash, canonical_json, published_at",
         "site_id, version",
         {K::text, K::integer, K::text, K::boolean, K::text, K::text, K::integer}},
        {"api_keys",
         "key_id, site_id, key_hash, created_at, revoked_at, backend",
         "key_id",
         {K::text, K::text, K::text, K::integer, K::nullable_integer, K::nullable_text}},
        {"receipts",
         "log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method, prev_hash, "
         "decision",
         "log_index",
         {K::integer, K::text, K::text, K::text, K::text, K::integer, K::text, K::text, K::text, K::text, K::text}},
        // Erased rows arrive erased: the target's erasures trigger accepts a
        // row already in its erased form (pg_schema.cpp, version 2).
        {"erasures", "log_index, erasure_index", "log_index", {K::integer, K::integer}},
        {"erased_subjects",
         "site_id, subject_tag, erasure_index",
         "site_id, subject_tag, erasure_index",
         {K::text, K::text, K::integer}},
        {"retention_policies", "site_id, keep_seconds", "site_id", {K::text, K::integer}},
        // merkle_tiles (SQLite version 6) is not copied: it repeats merkle_nodes,
        // which the PostgreSQL store's proofs read in one query (pg_merkle.cpp).
        {"merkle_nodes", "level, idx, hash", "level, idx", {K::integer, K::integer, K::blob}},
        {"checkpoints", "tree_size, root, timestamp, note", "tree_size", {K::integer, K::blob, K::integer, K::text}},
        {"current_state",
         "site_id, subject_id, purpose, state, method, notice_id, notice_version, decided_at, receipt_id",
         "site_id, subject_id, purpose",
         {K::text, K::text, K::text, K::text, K::text, K::text, K::integer, K::integer, K::text}},
        {"acknowledgements",
         "site_id, backend, receipt_id, subject_id, log_index, key_id, acknowledged_at",
         "site_id, backend, receipt_id",
         {K::text, K::text, K::text, K::text, K::integer, K::text, K::integer}},
    };
    return all;
}

constexpr std::size_t kRowsPerInsert = 1000;

std::string cast(Kind kind, const std::string& c) {
    switch (kind) {
        case Kind::integer: return c + "::bigint";
        case Kind::nullable_integer: return "NULLIF(" + c + ", '')::bigint";
        case Kind::nullable_text: return "NULLIF(" + c + ", '')";
        case Kind::boolean: return "(" + c + "::bigint <> 0)";
        case Kind::blob: return "decode(" + c + ", 'hex')";
        case Kind::text: break;
    }
    return c;
}

std::string insert_sql(const Table& t) {
    std::string select, unnest, names;
    for (std::size_t i = 0; i < t.kinds.size(); ++i) {
        const std::string c = "c" + std::to_string(i);
        select += (i == 0 ? "" : ", ") + cast(t.kinds[i], c);
        unnest += (i == 0 ? "$" : ", $") + std::to_string(i + 1) + "::text[]";
        names += (i == 0 ? "" : ", ") + c;
    }
    return std::string("INSERT INTO ") + t.name + " (" + t.columns + ") SELECT " + select + " FROM unnest(" + unnest +
           ") AS u(" + names + ")";
}

std::string as_text(const sqlite::Statement& row, int column, Kind kind) {
    if (kind == Kind::blob) {
        const auto bytes = row.blob(column);
        return hex_encode(bytes.data(), bytes.size());
    }
    // NULL travels as "": no stored value of these columns is empty (backend is 1-64 characters).
    if ((kind == Kind::nullable_integer || kind == Kind::nullable_text) && row.is_null(column)) return "";
    if (kind == Kind::integer || kind == Kind::nullable_integer || kind == Kind::boolean)
        return std::to_string(row.int64(column));
    return row.text(column);
}

Status flush(pg::Connection& to, const std::string& sql, std::vector<std::vector<std::string>>& columns) {
    if (columns.empty() || columns.front().empty()) return Unit{};
    pg::Params params;
    for (auto& values : columns) {
        params.push_back(pg::text_array(values));
        values.clear();
    }
    return to.run(sql, params);
}

Result<std::int64_t> copy_table(sqlite::Connection& from, pg::Connection& to, const Table& t) {
    auto rows = from.prepare(std::string("SELECT ") + t.columns + " FROM " + t.name + " ORDER BY " + t.order);
    if (!rows) return rows.error();
    const std::string sql = insert_sql(t);
    std::vector<std::vector<std::string>> columns(t.kinds.size());
    std::int64_t copied = 0;
    for (;;) {
        auto next = rows.value().step();
        if (!next) return next.error();
        if (!*next) break;
        for (std::size_t c = 0; c < t.kinds.size(); ++c)
            columns[c].push_back(as_text(rows.value(), static_cast<int>(c), t.kinds[c]));
        if (++copied % kRowsPerInsert == 0)
            if (auto flushed = flush(to, sql, columns); !flushed) return flushed.error();
    }
    if (auto flushed = flush(to, sql, columns); !flushed) return flushed.error();
    return copied;
}

Status require_current_file(sqlite::Connection& from) {
    auto version = from.query_int64("SELECT version FROM schema_version");
    if (!version) return version.error();
    if (*version != sqlite::kSchemaVersion)
        return make_error("storage.schema_version",
                          "the file has schema version " + std::to_string(*version) +
                              ": open it once with this consentd (it upgrades it), then migrate");
    return Unit{};
}

Status require_empty(pg::Connection& to) {
    auto rows = to.query("SELECT (SELECT size FROM log_state WHERE id = 1 FOR UPDATE), (SELECT COUNT(*) FROM sites)");
    if (!rows) return rows.error();
    if (rows->int64(0, 0) != 0 || rows->int64(0, 1) != 0)
        return make_error("migrate.not_empty",
                          "the PostgreSQL database already holds a log or sites: migrate into an empty database");
    return Unit{};
}

}  // namespace

Result<MigrationReport> migrate_sqlite_to_postgresql(const std::string& sqlite_path, const std::string& url) try {
    auto from = sqlite::Connection::open(sqlite_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (!from) return from.error();
    auto snapshot = sqlite::Transaction::begin(*from.value(), sqlite::Transaction::Mode::deferred);
    if (!snapshot) return snapshot.error();
    if (auto current = require_current_file(*from.value()); !current) return current.error();
    auto to = pg::Connection::open(url);
    if (!to) return to.error();
    if (auto schema = pg::migrate_schema(*to.value()); !schema) return schema.error();
    auto transaction = pg::Transaction::begin(*to.value());
    if (!transaction) return transaction.error();
    if (auto empty = require_empty(*to.value()); !empty) return empty.error();
    MigrationReport report;
    for (const Table& t : tables()) {
        auto copied = copy_table(*from.value(), *to.value(), t);
        if (!copied) return copied.error();
        const std::string name = t.name;
        if (name == "receipts") report.receipts = *copied;
        if (name == "checkpoints") report.checkpoints = *copied;
        if (name == "sites") report.sites = *copied;
        if (name == "notices") report.notices = *copied;
    }
    if (auto sized = to.value()->run("UPDATE log_state SET size = $1 WHERE id = 1", {pg::param(report.receipts)});
        !sized)
        return sized.error();
    auto latest = sqlite::latest_checkpoint(*from.value());
    if (!latest) return latest.error();
    report.latest = *latest;
    if (auto committed = transaction.value().commit(); !committed) return committed.error();
    return report;
} catch (...) {
    return pg::internal_error();
}

}  // namespace consent::server
