// Erasure and retention on PostgreSQL (issue #13, docs/erasure.md): the
// writer's part of an erasure, and PgStore's erasure group (receipt_store.hpp).
#include "storage/pg_erasure.hpp"

#include <set>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/erasure.hpp"
#include "storage/append_pipeline.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_store.hpp"
#include "storage/recorded_decision.hpp"

namespace consent::server::pg {
namespace {

Error conflict(std::int64_t index, const std::string& why) {
    return make_error("storage.erasure_conflict", "log index " + std::to_string(index) + " " + why);
}

// Every named row must still be the subject's: the caller read them before
// the batch, and nothing but an erasure changes a receipt.
Status check_named(Connection& c, const ErasureOrder& order, const std::string& site_id) {
    auto rows = c.query(
        "SELECT log_index FROM receipts WHERE log_index = ANY($1::bigint[]) AND site_id = $2 AND subject_id = $3",
        {int_array(order.log_indices), param(site_id), param(order.subject_id)});
    if (!rows) return rows.error();
    std::set<std::int64_t> found;
    for (int r = 0; r < rows->size(); ++r) found.insert(rows->int64(r, 0));
    for (const auto index : order.log_indices)
        if (found.count(index) == 0) return conflict(index, "is not an unerased receipt of that subject");
    return Unit{};
}

// A receipt of the subject appended after the erasure was ordered stays; the
// state is then the fold of what stays (rebuild_check's rule).
Status refold_state(Connection& c, const std::string& site_id, const std::string& subject_id) {
    auto rows = c.query(
        "SELECT decision, server_time, receipt_id FROM receipts WHERE site_id = $1 AND subject_id = $2 "
        "ORDER BY log_index",
        {param(site_id), param(subject_id)});
    if (!rows) return rows.error();
    SubjectState state;
    for (int r = 0; r < rows->size(); ++r) {
        if (auto folded = fold_recorded_decision(state, rows->text(r, 0), rows->int64(r, 1), rows->text(r, 2)); !folded)
            return folded;
    }
    for (const auto& [purpose, record] : state) {
        auto written = c.run(
            "INSERT INTO current_state (site_id, subject_id, purpose, state, method, notice_id, notice_version, "
            "decided_at, receipt_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            {param(site_id), param(subject_id), param(purpose), param(std::string(to_string(record.state))),
             param(std::string(to_string(record.method))), param(record.notice_id), param(record.notice_version),
             param(record.decided_at), param(record.receipt_id)});
        if (!written) return written;
    }
    return Unit{};
}

}  // namespace

Status apply_erasure(Connection& c, const SealedAppend& append) {
    const ErasureOrder& order = *append.request->erasure;
    const std::string& site_id = append.request->site_id;
    const std::int64_t erasure_index = append.receipt->log_index;
    if (order.log_indices.size() != order.residues.size() || order.log_indices.empty())
        return make_error("storage.invalid_argument", "an erasure order names each index with its residue");
    if (auto named = check_named(c, order, site_id); !named) return named;
    // erasures first: the receipts trigger lets the UPDATE through only for a named index
    // (and an index named twice is refused here, by the key, before anything is blanked).
    if (auto recorded =
            c.run("INSERT INTO erasures (log_index, erasure_index) SELECT i, $2 FROM unnest($1::bigint[]) AS i",
                  {int_array(order.log_indices), param(erasure_index)});
        !recorded)
        return recorded;
    // Both reference the receipt ids about to become "erased:<index>".
    if (auto acks = c.run("DELETE FROM acknowledgements WHERE site_id = $1 AND log_index = ANY($2::bigint[])",
                          {param(site_id), int_array(order.log_indices)});
        !acks)
        return acks;
    if (auto state = c.run("DELETE FROM current_state WHERE site_id = $1 AND subject_id = $2",
                           {param(site_id), param(order.subject_id)});
        !state)
        return state;
    if (auto blanked = c.run(
            "UPDATE receipts AS r SET receipt_id = 'erased:' || r.log_index, decision_id = 'erased:' || r.log_index, "
            "subject_id = '', jws = '', prev_hash = '', decision = '', payload = u.residue "
            "FROM unnest($1::bigint[], $2::text[]) AS u(idx, residue) WHERE r.log_index = u.idx",
            {int_array(order.log_indices), text_array(order.residues)});
        !blanked)
        return blanked;
    if (auto state = refold_state(c, site_id, order.subject_id); !state) return state;
    return c.run("INSERT INTO erased_subjects (site_id, subject_tag, erasure_index) VALUES ($1, $2, $3)",
                 {param(site_id), param(order.subject_tag), param(erasure_index)});
}

Status vacuum_erased(Connection& c) {
    // An UPDATE leaves the old row version (subject, JWS, decision) as a dead
    // tuple, a DELETE the deleted row, each with its index entries, until a
    // VACUUM removes them. INDEX_CLEANUP ON: PostgreSQL skips the index pass
    // when few pages hold dead tuples, which would leave the index entries
    // (subject id, receipt and decision id) in place; the TOAST table is
    // vacuumed with its table. One statement: VACUUM runs in no transaction block.
    return c.exec_script("VACUUM (INDEX_CLEANUP ON) receipts, current_state, acknowledgements");
}

}  // namespace consent::server::pg

namespace consent::server {

using pg::param;

Result<AppendOutcome> PgStore::erase(AppendRequest request) try {
    if (!request.erasure || request.decision.subject_id != kErasureSubject || !request.decision.purposes.empty())
        return make_error("storage.invalid_argument", "an erasure is an erasure receipt with its order");
    // The decision column of an erasure receipt is empty: it decides nothing.
    static const std::string kNoDecision;
    auto outcome = pipeline_->append(request, kNoDecision);
    if (!outcome) return outcome.error();
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    if (auto vacuumed = pg::vacuum_erased(**lease); !vacuumed)
        return make_error("storage.unavailable",
                          "the erasure is committed, but VACUUM of its old row versions failed "
                          "(autovacuum removes them later): " +
                              vacuumed.error().message);
    return outcome;
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<StoredReceipt>> PgStore::subject_erasures(const std::string& site_id,
                                                             const std::string& subject_tag) try {
    return pg::receipts(*pool_,
                        "SELECT r.log_index, r.receipt_id, r.site_id, r.subject_id, r.decision_id, r.server_time, "
                        "r.jws, r.payload, r.method FROM erased_subjects AS e JOIN receipts AS r "
                        "ON r.log_index = e.erasure_index WHERE e.site_id = $1 AND e.subject_tag = $2 "
                        "ORDER BY r.log_index",
                        {param(site_id), param(subject_tag)});
} catch (...) {
    return pg::internal_error();
}

Status PgStore::set_retention(const std::string& site_id, std::int64_t keep_seconds) try {
    if (keep_seconds < 0) return make_error("storage.invalid_argument", "a retention period is not negative");
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    return (*lease)->run(
        "INSERT INTO retention_policies (site_id, keep_seconds) VALUES ($1, $2) "
        "ON CONFLICT (site_id) DO UPDATE SET keep_seconds = excluded.keep_seconds",
        {param(site_id), param(keep_seconds)});
} catch (...) {
    return pg::internal_error();
}

Result<std::int64_t> PgStore::retention(const std::string& site_id) try {
    auto rows = pg::query(*pool_, "SELECT keep_seconds FROM retention_policies WHERE site_id = $1", {param(site_id)});
    if (!rows) return rows.error();
    if (rows->size() == 0) return make_error("storage.not_found", "no such retention policy");
    return rows->int64(0, 0);
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<std::pair<std::string, std::int64_t>>> PgStore::retention_policies() try {
    auto rows =
        pg::query(*pool_, "SELECT site_id, keep_seconds FROM retention_policies ORDER BY site_id COLLATE \"C\"");
    if (!rows) return rows.error();
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (int r = 0; r < rows->size(); ++r) out.emplace_back(rows->text(r, 0), rows->int64(r, 1));
    return out;
} catch (...) {
    return pg::internal_error();
}

}  // namespace consent::server
