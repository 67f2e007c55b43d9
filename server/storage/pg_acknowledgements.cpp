// PgStore's acknowledgements (issue #15): the same rules as the SQLite
// file's (sqlite_acknowledgements.cpp), in one transaction per request.
#include <optional>
#include <string>

#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_store.hpp"

namespace consent::server {
namespace {

using pg::Connection;
using pg::param;
using pg::Rows;

constexpr const char* kSelectAcknowledgements =
    "SELECT backend, receipt_id, subject_id, log_index, key_id, acknowledged_at FROM acknowledgements ";

Acknowledgement read_acknowledgement(const Rows& rows, int r) {
    return Acknowledgement{
        rows.text(r, 0), rows.text(r, 1), rows.text(r, 2), rows.int64(r, 3), rows.text(r, 4), rows.int64(r, 5), false};
}

// The first record stands: a second acknowledgement of the same receipt by
// the same backend (from this replica or another, at once) inserts nothing
// and answers the first one.
Result<Acknowledgement> acknowledge_one(Connection& c, const AcknowledgementRequest& request,
                                        const std::string& receipt_id) {
    auto receipt = c.query("SELECT subject_id, log_index FROM receipts WHERE receipt_id = $1 AND site_id = $2",
                           {param(receipt_id), param(request.site_id)});
    if (!receipt) return receipt.error();
    if (receipt->size() == 0)
        return make_error("storage.unknown_receipt", "no receipt " + receipt_id + " of site " + request.site_id);
    Acknowledgement a{request.backend, receipt_id, receipt->text(0, 0), receipt->int64(0, 1), request.key_id,
                      request.now,     false};
    auto inserted = c.query(
        "INSERT INTO acknowledgements (site_id, backend, receipt_id, subject_id, log_index, key_id, acknowledged_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1",
        {param(request.site_id), param(a.backend), param(a.receipt_id), param(a.subject_id), param(a.log_index),
         param(a.key_id), param(a.acknowledged_at)});
    if (!inserted) return inserted.error();
    if (inserted->size() != 0) return a;
    auto first =
        c.query(std::string(kSelectAcknowledgements) + "WHERE site_id = $1 AND backend = $2 AND receipt_id = $3",
                {param(request.site_id), param(request.backend), param(receipt_id)});
    if (!first) return first.error();
    if (first->size() == 0) return make_error("storage.unavailable", "an acknowledgement raced; send it again");
    Acknowledgement recorded = read_acknowledgement(*first, 0);
    recorded.replayed = true;
    return recorded;
}

}  // namespace

Result<std::vector<Acknowledgement>> PgStore::acknowledge(const AcknowledgementRequest& request) try {
    std::vector<Acknowledgement> out;
    auto written = pg::in_transaction(*pool_, [&](Connection& c) -> Status {
        for (const auto& id : request.receipt_ids) {
            auto one = acknowledge_one(c, request, id);
            if (!one) return one.error();
            out.push_back(std::move(one.value()));
        }
        return Unit{};
    });
    if (!written) return written.error();
    return out;
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<Acknowledgement>> PgStore::subject_acknowledgements(const std::string& site_id,
                                                                       const std::string& subject_id) try {
    auto rows = pg::query(*pool_,
                          std::string(kSelectAcknowledgements) +
                              "WHERE site_id = $1 AND subject_id = $2 ORDER BY log_index, acknowledged_at, backend",
                          {param(site_id), param(subject_id)});
    if (!rows) return rows.error();
    std::vector<Acknowledgement> out;
    for (int r = 0; r < rows->size(); ++r) out.push_back(read_acknowledgement(*rows, r));
    return out;
} catch (...) {
    return pg::internal_error();
}

// Every backend that acknowledged something, and every one a live key is
// bound to: a registered backend that never acknowledged is listed (and behind).
Result<std::vector<BackendPosition>> PgStore::backend_positions(const std::string& site_id) try {
    auto rows = pg::query(
        *pool_,
        "SELECT b.backend, COALESCE(MAX(a.log_index), -1), COALESCE(MAX(a.acknowledged_at), 0), COUNT(a.backend), "
        "EXISTS (SELECT 1 FROM api_keys k WHERE k.site_id = $1 AND k.backend = b.backend AND k.revoked_at IS NULL) "
        "FROM (SELECT backend FROM acknowledgements WHERE site_id = $1 UNION "
        "      SELECT backend FROM api_keys WHERE site_id = $1 AND backend IS NOT NULL AND revoked_at IS NULL) b "
        "LEFT JOIN acknowledgements a ON a.site_id = $1 AND a.backend = b.backend "
        "GROUP BY b.backend ORDER BY b.backend COLLATE \"C\"",
        {param(site_id)});
    if (!rows) return rows.error();
    std::vector<BackendPosition> out;
    for (int r = 0; r < rows->size(); ++r)
        out.push_back(BackendPosition{rows->text(r, 0), rows->int64(r, 1), rows->int64(r, 2), rows->int64(r, 3),
                                      rows->text(r, 4) == "t"});
    return out;
} catch (...) {
    return pg::internal_error();
}

// Newest first through receipts_by_site (site_id, log_index).
Result<std::int64_t> PgStore::newest_withdrawal(const std::string& site_id) try {
    auto rows = pg::query(*pool_,
                          "SELECT log_index FROM receipts WHERE site_id = $1 AND method IN ('withdraw', "
                          "'server_withdraw') ORDER BY log_index DESC LIMIT 1",
                          {param(site_id)});
    if (!rows) return rows.error();
    return rows->size() == 0 ? std::int64_t{-1} : rows->int64(0, 0);
} catch (...) {
    return pg::internal_error();
}

}  // namespace consent::server
