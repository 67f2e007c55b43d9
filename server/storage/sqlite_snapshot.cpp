#include "storage/sqlite_snapshot.hpp"

#include <algorithm>
#include <limits>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/json/canonical_json.hpp"
#include "storage/recorded_decision.hpp"
#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::server::sqlite {
namespace {

// The subjects of the page are chosen first (DISTINCT, LIMIT), then all their
// receipts up to the index are read in (subject, log order): both through the
// receipts_by_subject index (site_id, subject_id, log_index). Erased rows
// (subject '') sort before every subject; erasure receipts are no subject's.
constexpr const char* kStatesAt =
    "SELECT subject_id, log_index, receipt_id, server_time, decision FROM receipts "
    "WHERE site_id = ?1 AND subject_id > ?2 AND log_index <= ?3 AND subject_id IN ("
    "  SELECT DISTINCT subject_id FROM receipts WHERE site_id = ?1 AND subject_id > ?2 AND log_index <= ?3"
    "  AND subject_id <> '#erasure'"
    "  ORDER BY subject_id LIMIT ?4) "
    "ORDER BY subject_id, log_index";

}  // namespace

Result<std::int64_t> site_log_head(ReadPool& pool, const std::string& site_id) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto statement = (*lease.value()).prepare("SELECT COALESCE(MAX(log_index), -1) FROM receipts WHERE site_id = ?1");
    if (!statement) return statement.error();
    Statement& head = statement.value();
    head.bind(1, site_id);
    auto row = head.step();
    if (!row) return row.error();
    if (!*row) return make_error("storage.corrupt_row", "MAX(log_index) gave no row");
    return head.int64(0);
}

Result<std::vector<SubjectSnapshot>> states_at(ReadPool& pool, const std::string& site_id, std::int64_t at,
                                               const std::string& after_subject, std::size_t limit) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto statement = (*lease.value()).prepare(kStatesAt);
    if (!statement) return statement.error();
    const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    Statement& rows = statement.value();
    rows.bind(1, site_id).bind(2, after_subject).bind(3, at).bind(4, static_cast<std::int64_t>(std::min(limit, max)));
    std::vector<SubjectSnapshot> out;
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return out;
        const std::string subject = rows.text(0);
        if (out.empty() || out.back().subject_id != subject) out.push_back(SubjectSnapshot{subject, {}, -1});
        if (auto folded = fold_recorded_decision(out.back().state, rows.text(4), rows.int64(3), rows.text(2)); !folded)
            return folded.error();
        out.back().last_index = rows.int64(1);
    }
}

}  // namespace consent::server::sqlite

namespace consent::server {

// SqliteStore's snapshot reads live here, beside the queries they run, so the
// store's own file stays as it is.
Result<std::int64_t> SqliteStore::site_log_head(const std::string& site_id) try {
    return sqlite::site_log_head(*reads_, site_id);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<SubjectSnapshot>> SqliteStore::states_at(const std::string& site_id, std::int64_t at,
                                                            const std::string& after_subject, std::size_t limit) try {
    return sqlite::states_at(*reads_, site_id, at, after_subject, limit);
} catch (...) {
    return sqlite::internal_error();
}

}  // namespace consent::server
