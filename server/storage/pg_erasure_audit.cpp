// PgStore::rebuild_check's erasure part (pg_erasure.hpp): the rows are read
// here, in the audit's snapshot; what they must say is erasure_audit.hpp's,
// the same rules as the SQLite file's.
#include <map>
#include <string>
#include <utility>

#include "consent/log/erasure.hpp"
#include "storage/erasure_audit.hpp"
#include "storage/pg_erasure.hpp"
#include "storage/pg_merkle.hpp"
#include "storage/pg_rows.hpp"

namespace consent::server::pg {
namespace {

// Every leaf below the log's size has its row: a row deleted by anything
// (an erasure keeps the row) leaves a leaf without one.
Status check_every_leaf_has_a_row(Connection& c) {
    auto rows = c.query(
        "SELECT n.idx FROM merkle_nodes AS n WHERE n.level = 0 AND NOT EXISTS "
        "(SELECT 1 FROM receipts AS r WHERE r.log_index = n.idx) ORDER BY n.idx LIMIT 1");
    if (!rows) return rows.error();
    if (rows->size() != 0) return receipt_missing(rows->int64(0, 0), "is gone, and no erasure keeps its row");
    return Unit{};
}

using ErasureCache = std::map<std::int64_t, CheckedErasure>;

// The erasure receipt at index, its row checked against its own payload once.
Result<const CheckedErasure*> erasure_at(Connection& c, std::int64_t index, ErasureCache& cache) {
    if (const auto hit = cache.find(index); hit != cache.end()) return &hit->second;
    auto rows = c.query(
        "SELECT receipt_id, site_id, subject_id, jws, payload, method, server_time FROM receipts WHERE log_index = $1",
        {param(index)});
    if (!rows) return rows.error();
    ErasureReceiptColumns row;
    row.log_index = index;
    if (rows->size() != 0)
        row = {index,
               rows->text(0, 0),
               rows->text(0, 1),
               rows->text(0, 2),
               rows->text(0, 3),
               rows->text(0, 4),
               rows->text(0, 5),
               rows->int64(0, 6)};
    auto checked = check_erasure_receipt(row);
    if (!checked) return checked.error();
    return &cache.emplace(index, std::move(*checked)).first->second;
}

// Each site's erasure receipts name the one before, like a subject's receipts.
Status check_erasure_chain(Connection& c, ErasureCache& cache) {
    std::string site, previous_jws;
    return for_each_row(
        c, "SELECT log_index, site_id FROM receipts WHERE subject_id = '#erasure' ORDER BY site_id, log_index", {},
        [&](const Rows& rows, int r) -> Status {
            if (rows.text(r, 1) != site) previous_jws.clear();
            site = rows.text(r, 1);
            auto erasure = erasure_at(c, rows.int64(r, 0), cache);
            if (!erasure) return erasure.error();
            if (auto linked = check_erasure_link(**erasure, previous_jws); !linked) return linked;
            previous_jws = (*erasure)->jws;
            return Unit{};
        });
}

ErasedRowColumns read_erased_row(const Rows& rows, int r) {
    ErasedRowColumns row;
    row.log_index = rows.int64(r, 0);
    row.receipt_id = rows.text(r, 1);
    row.decision_id = rows.text(r, 2);
    row.subject_id = rows.text(r, 3);
    row.prev_hash = rows.text(r, 4);
    row.decision = rows.text(r, 5);
    if (!rows.is_null(r, 6)) row.erasure_index = rows.int64(r, 6);
    row.payload = rows.text(r, 7);
    row.site_id = rows.text(r, 8);
    row.leaf = as_hash(rows.bytes(r, 9));
    row.server_time = rows.int64(r, 10);
    row.method = rows.text(r, 11);
    row.jws = rows.text(r, 12);
    return row;
}

// Rows without a JWS, and rows erasures names (which must have none).
Status check_erased_rows(Connection& c, ErasureCache& cache) {
    return for_each_row(c,
                        "SELECT r.log_index, r.receipt_id, r.decision_id, r.subject_id, r.prev_hash, r.decision, "
                        "e.erasure_index, r.payload, r.site_id, n.hash, r.server_time, r.method, r.jws "
                        "FROM receipts AS r LEFT JOIN erasures AS e ON e.log_index = r.log_index "
                        "LEFT JOIN merkle_nodes AS n ON n.level = 0 AND n.idx = r.log_index "
                        "WHERE r.jws = '' OR e.log_index IS NOT NULL ORDER BY r.log_index",
                        {}, [&](const Rows& rows, int r) -> Status {
                            const ErasedRowColumns row = read_erased_row(rows, r);
                            if (auto form = check_erased_form(row); !form) return form;
                            auto erasure = erasure_at(c, *row.erasure_index, cache);
                            if (!erasure) return erasure.error();
                            return check_erased_by(row, **erasure);
                        });
}

}  // namespace

Status check_erasures(Connection& c) {
    if (auto leaves = check_every_leaf_has_a_row(c); !leaves) return leaves;
    ErasureCache cache;
    if (auto chain = check_erasure_chain(c, cache); !chain) return chain;
    return check_erased_rows(c, cache);
}

}  // namespace consent::server::pg
