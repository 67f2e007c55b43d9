#include "storage/sqlite_acknowledgements.hpp"

#include <optional>

#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::server::sqlite {
namespace {

constexpr const char* kSelectAcknowledgements =
    "SELECT backend, receipt_id, subject_id, log_index, key_id, acknowledged_at FROM acknowledgements ";

std::optional<Acknowledgement> read_acknowledgement(const Statement& s) {
    return Acknowledgement{s.text(0), s.text(1), s.text(2), s.int64(3), s.text(4), s.int64(5), false};
}

// The receipt an id names, if it is one of the site's.
Result<std::optional<Acknowledgement>> receipt_of_site(Connection& c, const std::string& site_id,
                                                       const std::string& receipt_id) {
    auto statement = c.prepare("SELECT subject_id, log_index FROM receipts WHERE receipt_id = ?1 AND site_id = ?2");
    if (!statement) return statement.error();
    Statement& s = statement.value();
    s.bind(1, receipt_id).bind(2, site_id);
    auto row = s.step();
    if (!row) return row.error();
    if (!*row) return std::optional<Acknowledgement>();
    Acknowledgement a;
    a.receipt_id = receipt_id;
    a.subject_id = s.text(0);
    a.log_index = s.int64(1);
    return std::optional<Acknowledgement>(std::move(a));
}

Result<std::optional<Acknowledgement>> recorded(Connection& c, const std::string& site_id, const std::string& backend,
                                                const std::string& receipt_id) {
    auto statement =
        c.prepare(std::string(kSelectAcknowledgements) + "WHERE site_id = ?1 AND backend = ?2 AND receipt_id = ?3");
    if (!statement) return statement.error();
    Statement& s = statement.value();
    s.bind(1, site_id).bind(2, backend).bind(3, receipt_id);
    auto row = s.step();
    if (!row) return row.error();
    if (!*row) return std::optional<Acknowledgement>();
    return read_acknowledgement(s);
}

Status insert(Connection& c, const std::string& site_id, const Acknowledgement& a) {
    auto statement = c.prepare(
        "INSERT INTO acknowledgements (site_id, backend, receipt_id, subject_id, log_index, key_id, acknowledged_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, site_id)
        .bind(2, a.backend)
        .bind(3, a.receipt_id)
        .bind(4, a.subject_id)
        .bind(5, a.log_index)
        .bind(6, a.key_id)
        .bind(7, a.acknowledged_at)
        .run();
}

}  // namespace

Result<std::vector<Acknowledgement>> acknowledge(Connection& connection, const AcknowledgementRequest& request) {
    std::vector<Acknowledgement> out;
    auto written = in_transaction(connection, [&](Connection& c) -> Status {
        for (const auto& id : request.receipt_ids) {
            auto receipt = receipt_of_site(c, request.site_id, id);
            if (!receipt) return receipt.error();
            if (!*receipt)
                return make_error("storage.unknown_receipt", "no receipt " + id + " of site " + request.site_id);
            auto first = recorded(c, request.site_id, request.backend, id);
            if (!first) return first.error();
            if (*first) {
                first.value()->replayed = true;
                out.push_back(std::move(**first));
                continue;
            }
            Acknowledgement a = std::move(**receipt);
            a.backend = request.backend;
            a.key_id = request.key_id;
            a.acknowledged_at = request.now;
            if (auto inserted = insert(c, request.site_id, a); !inserted) return inserted;
            out.push_back(std::move(a));
        }
        return Unit{};
    });
    if (!written) return written.error();
    return out;
}

Result<std::vector<Acknowledgement>> subject_acknowledgements(ReadPool& pool, const std::string& site_id,
                                                              const std::string& subject_id) {
    return read_rows<Acknowledgement>(
        pool,
        std::string(kSelectAcknowledgements) +
            "WHERE site_id = ?1 AND subject_id = ?2 ORDER BY log_index, acknowledged_at, backend",
        [&](Statement& s) { s.bind(1, site_id).bind(2, subject_id); }, read_acknowledgement);
}

Result<std::vector<BackendPosition>> backend_positions(ReadPool& pool, const std::string& site_id) {
    return read_rows<BackendPosition>(
        pool,
        // Every backend that acknowledged something, and every one a live key is bound
        // to: a registered backend that never acknowledged is listed (and behind).
        "SELECT b.backend, COALESCE(MAX(a.log_index), -1), COALESCE(MAX(a.acknowledged_at), 0), COUNT(a.backend), "
        "EXISTS (SELECT 1 FROM api_keys k WHERE k.site_id = ?1 AND k.backend = b.backend AND k.revoked_at IS NULL) "
        "FROM (SELECT backend FROM acknowledgements WHERE site_id = ?1 UNION "
        "      SELECT backend FROM api_keys WHERE site_id = ?1 AND backend IS NOT NULL AND revoked_at IS NULL) b "
        "LEFT JOIN acknowledgements a ON a.site_id = ?1 AND a.backend = b.backend "
        "GROUP BY b.backend ORDER BY b.backend",
        [&](Statement& s) { s.bind(1, site_id); },
        [](const Statement& s) {
            return std::optional<BackendPosition>(
                BackendPosition{s.text(0), s.int64(1), s.int64(2), s.int64(3), s.int64(4) != 0});
        });
}

// Newest first through receipts_by_site (site_id, log_index): the scan stops
// at the first withdrawal rather than reading the site's whole log.
Result<std::int64_t> newest_withdrawal(ReadPool& pool, const std::string& site_id) {
    auto rows = read_rows<std::int64_t>(
        pool,
        "SELECT log_index FROM receipts WHERE site_id = ?1 AND method IN ('withdraw', 'server_withdraw') "
        "ORDER BY log_index DESC LIMIT 1",
        [&](Statement& s) { s.bind(1, site_id); },
        [](const Statement& s) { return std::optional<std::int64_t>(s.int64(0)); });
    if (!rows) return rows.error();
    return rows->empty() ? -1 : rows->front();
}

}  // namespace consent::server::sqlite

namespace consent::server {

Result<std::vector<Acknowledgement>> SqliteStore::acknowledge(const AcknowledgementRequest& request) try {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    return sqlite::acknowledge(*admin_, request);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<Acknowledgement>> SqliteStore::subject_acknowledgements(const std::string& site_id,
                                                                           const std::string& subject_id) try {
    return sqlite::subject_acknowledgements(*reads_, site_id, subject_id);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<BackendPosition>> SqliteStore::backend_positions(const std::string& site_id) try {
    return sqlite::backend_positions(*reads_, site_id);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::int64_t> SqliteStore::newest_withdrawal(const std::string& site_id) try {
    return sqlite::newest_withdrawal(*reads_, site_id);
} catch (...) {
    return sqlite::internal_error();
}

}  // namespace consent::server
