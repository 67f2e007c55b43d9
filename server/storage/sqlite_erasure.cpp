#include "storage/sqlite_erasure.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/erasure.hpp"
#include "storage/erasure_audit.hpp"
#include "storage/recorded_decision.hpp"
#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_read_pool.hpp"
#include "storage/sqlite_rows.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::server::sqlite {
namespace {

// How long an erasure waits for a background checkpoint to let go of the
// WAL before it answers "erase again": 40 x 5 ms.
constexpr int kScrubAttempts = 40;
constexpr auto kScrubPause = std::chrono::milliseconds(5);

Error conflict(std::int64_t index, const std::string& why) {
    return make_error("storage.erasure_conflict", "log index " + std::to_string(index) + " " + why);
}

template <class Bind>
Status run(Connection& connection, const char* sql, Bind bind) {
    auto statement = connection.prepare(sql);
    if (!statement) return statement.error();
    bind(statement.value());
    return statement.value().run();
}

// The named row must still be the subject's: the caller read it before the
// batch, and nothing but an erasure changes a receipt.
Status check_named(Connection& connection, const ErasureOrder& order, const std::string& site_id, std::int64_t index) {
    auto found = has_row(connection, "SELECT 1 FROM receipts WHERE log_index = ?1 AND site_id = ?2 AND subject_id = ?3",
                         [&](Statement& s) { s.bind(1, index).bind(2, site_id).bind(3, order.subject_id); });
    if (!found) return found.error();
    if (!*found) return conflict(index, "is not an unerased receipt of that subject");
    return Unit{};
}

Status erase_row(Connection& connection, const std::string& site_id, std::int64_t index, std::int64_t erasure_index,
                 const std::string& residue) {
    // erasures first: the receipts trigger lets the update through only for a named index.
    if (auto named = run(connection, "INSERT INTO erasures (log_index, erasure_index) VALUES (?1, ?2)",
                         [&](Statement& s) { s.bind(1, index).bind(2, erasure_index); });
        !named)
        return named;
    if (auto acks = run(connection, "DELETE FROM acknowledgements WHERE site_id = ?1 AND log_index = ?2",
                        [&](Statement& s) { s.bind(1, site_id).bind(2, index); });
        !acks)
        return acks;
    return run(connection,
               "UPDATE receipts SET receipt_id = 'erased:' || log_index, decision_id = 'erased:' || log_index, "
               "subject_id = '', jws = '', prev_hash = '', decision = '', payload = ?2 WHERE log_index = ?1",
               [&](Statement& s) { s.bind(1, index).bind(2, residue); });
}

// A receipt of the subject appended after the erasure was ordered stays; the
// state is then the fold of what stays (rebuild_check's rule).
Status refold_state(Connection& connection, const std::string& site_id, const std::string& subject_id) {
    auto rows = connection.prepare(
        "SELECT decision, server_time, receipt_id FROM receipts WHERE site_id = ?1 AND subject_id = ?2 "
        "ORDER BY log_index");
    if (!rows) return rows.error();
    Statement& r = rows.value().bind(1, site_id).bind(2, subject_id);
    SubjectState state;
    for (;;) {
        auto row = r.step();
        if (!row) return row.error();
        if (!*row) break;
        if (auto folded = fold_recorded_decision(state, r.text(0), r.int64(1), r.text(2)); !folded) return folded;
    }
    for (const auto& [purpose, record] : state)
        if (auto written = write_state_row(connection, site_id, subject_id, purpose, record); !written) return written;
    return Unit{};
}

}  // namespace

Status apply_erasure(Connection& connection, const SealedAppend& append) {
    const ErasureOrder& order = *append.request->erasure;
    const std::string& site_id = append.request->site_id;
    const std::int64_t erasure_index = append.receipt->log_index;
    if (order.log_indices.size() != order.residues.size() || order.log_indices.empty())
        return make_error("storage.invalid_argument", "an erasure order names each index with its residue");
    for (const auto index : order.log_indices)
        if (auto named = check_named(connection, order, site_id, index); !named) return named;
    if (auto state = run(connection, "DELETE FROM current_state WHERE site_id = ?1 AND subject_id = ?2",
                         [&](Statement& s) { s.bind(1, site_id).bind(2, order.subject_id); });
        !state)
        return state;
    for (std::size_t i = 0; i < order.log_indices.size(); ++i)
        if (auto erased = erase_row(connection, site_id, order.log_indices[i], erasure_index, order.residues[i]);
            !erased)
            return erased;
    if (auto state = refold_state(connection, site_id, order.subject_id); !state) return state;
    return run(connection, "INSERT INTO erased_subjects (site_id, subject_tag, erasure_index) VALUES (?1, ?2, ?3)",
               [&](Statement& s) { s.bind(1, site_id).bind(2, order.subject_tag).bind(3, erasure_index); });
}

Status scrub_files(Connection& connection) {
    // (busy, WAL frames, frames checkpointed); busy = 1 when a reader or the
    // writer held on past the busy timeout: the WAL then still holds old pages.
    // It is 1 at once, without the busy timeout, while the WAL checkpointer's
    // thread (sqlite_wal_checkpointer.hpp) copies pages: that takes tens of
    // milliseconds, so the truncation is tried again for a while first.
    for (int attempt = 0;; ++attempt) {
        auto statement = connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
        if (!statement) return statement.error();
        auto row = statement.value().step();
        if (!row) return row.error();
        if (*row && statement.value().int64(0) == 0) return Unit{};
        if (attempt >= kScrubAttempts)
            return make_error(
                "storage.unavailable",
                "the erasure is committed, but the WAL could not be truncated yet: erase again to finish");
        std::this_thread::sleep_for(kScrubPause);
    }
}

Result<std::vector<StoredReceipt>> subject_erasures(ReadPool& reads, const std::string& site_id,
                                                    const std::string& subject_tag) {
    return read_rows<StoredReceipt>(
        reads,
        "SELECT r.log_index, r.receipt_id, r.site_id, r.subject_id, r.decision_id, r.server_time, r.jws, r.payload, "
        "r.method FROM erased_subjects AS e JOIN receipts AS r ON r.log_index = e.erasure_index "
        "WHERE e.site_id = ?1 AND e.subject_tag = ?2 ORDER BY r.log_index",
        [&](Statement& s) { s.bind(1, site_id).bind(2, subject_tag); }, read_receipt_row);
}

Status set_retention(Connection& connection, const std::string& site_id, std::int64_t keep_seconds) {
    if (keep_seconds < 0) return make_error("storage.invalid_argument", "a retention period is not negative");
    return run(connection, "INSERT OR REPLACE INTO retention_policies (site_id, keep_seconds) VALUES (?1, ?2)",
               [&](Statement& s) { s.bind(1, site_id).bind(2, keep_seconds); });
}

Result<std::int64_t> retention(ReadPool& reads, const std::string& site_id) {
    return only_row(read_rows<std::int64_t>(
                        reads, "SELECT keep_seconds FROM retention_policies WHERE site_id = ?1",
                        [&](Statement& s) { s.bind(1, site_id); },
                        [](const Statement& s) { return std::optional<std::int64_t>(s.int64(0)); }),
                    "retention policy");
}

Result<std::vector<std::pair<std::string, std::int64_t>>> retention_policies(ReadPool& reads) {
    return read_rows<std::pair<std::string, std::int64_t>>(
        reads, "SELECT site_id, keep_seconds FROM retention_policies ORDER BY site_id", [](Statement&) {},
        [](const Statement& s) {
            return std::optional<std::pair<std::string, std::int64_t>>({s.text(0), s.int64(1)});
        });
}

namespace {

// Every leaf below the log's size has its row: a row deleted by anything
// (an erasure keeps the row) leaves a leaf without one.
Status check_every_leaf_has_a_row(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT n.idx FROM merkle_nodes AS n WHERE n.level = 0 AND NOT EXISTS "
        "(SELECT 1 FROM receipts AS r WHERE r.log_index = n.idx) ORDER BY n.idx LIMIT 1");
    if (!statement) return statement.error();
    auto row = statement.value().step();
    if (!row) return row.error();
    if (*row) return receipt_missing(statement.value().int64(0), "is gone, and no erasure keeps its row");
    return Unit{};
}

using ErasureCache = std::map<std::int64_t, CheckedErasure>;

// The erasure receipt at index, its row checked against its own payload once.
Result<const CheckedErasure*> erasure_at(Connection& connection, std::int64_t index, ErasureCache& cache) {
    if (const auto hit = cache.find(index); hit != cache.end()) return &hit->second;
    auto statement = connection.prepare(
        "SELECT receipt_id, site_id, subject_id, jws, payload, server_time, method FROM receipts WHERE log_index = ?1");
    if (!statement) return statement.error();
    auto found = statement.value().bind(1, index).step();
    if (!found) return found.error();
    const Statement& s = statement.value();
    ErasureReceiptColumns row;
    row.log_index = index;
    if (*found) row = {index, s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(6), s.int64(5)};
    auto checked = check_erasure_receipt(row);
    if (!checked) return checked.error();
    return &cache.emplace(index, std::move(*checked)).first->second;
}

// One erased row: in the erased form, named by erasures, and listed by that
// erasure receipt with the leaf the log holds and the residue the row keeps.
Status check_erased_row(Connection& connection, const Statement& r, ErasureCache& cache) {
    ErasedRowColumns row;
    row.log_index = r.int64(0);
    row.receipt_id = r.text(1);
    row.decision_id = r.text(2);
    row.subject_id = r.text(3);
    row.prev_hash = r.text(4);
    row.decision = r.text(5);
    if (!r.is_null(6)) row.erasure_index = r.int64(6);
    row.payload = r.text(7);
    row.site_id = r.text(8);
    row.leaf = hash_column(r, 9);
    row.server_time = r.int64(10);
    row.method = r.text(11);
    row.jws = r.text(12);
    if (auto form = check_erased_form(row); !form) return form;
    auto erasure = erasure_at(connection, *row.erasure_index, cache);
    if (!erasure) return erasure.error();
    return check_erased_by(row, **erasure);
}

// Rows without a JWS, and rows erasures names (which must have none).
Status check_erased_rows(Connection& connection, ErasureCache& cache) {
    auto statement = connection.prepare(
        "SELECT r.log_index, r.receipt_id, r.decision_id, r.subject_id, r.prev_hash, r.decision, e.erasure_index, "
        "r.payload, r.site_id, n.hash, r.server_time, r.method, r.jws FROM receipts AS r "
        "LEFT JOIN erasures AS e ON e.log_index = r.log_index "
        "LEFT JOIN merkle_nodes AS n ON n.level = 0 AND n.idx = r.log_index "
        "WHERE r.jws = '' OR e.log_index IS NOT NULL ORDER BY r.log_index");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return Unit{};
        if (auto checked = check_erased_row(connection, rows, cache); !checked) return checked;
    }
}

// Each site's erasure receipts name the one before, like a subject's receipts.
Status check_erasure_chain(Connection& connection, ErasureCache& cache) {
    auto statement = connection.prepare(
        "SELECT log_index, site_id FROM receipts WHERE subject_id = '#erasure' ORDER BY site_id, log_index");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    std::string site, previous_jws;
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return Unit{};
        if (rows.text(1) != site) previous_jws.clear();
        site = rows.text(1);
        auto erasure = erasure_at(connection, rows.int64(0), cache);
        if (!erasure) return erasure.error();
        if (auto linked = check_erasure_link(**erasure, previous_jws); !linked) return linked;
        previous_jws = (*erasure)->jws;
    }
}

}  // namespace

Status check_erasures(Connection& connection) {
    if (auto leaves = check_every_leaf_has_a_row(connection); !leaves) return leaves;
    ErasureCache cache;
    if (auto chain = check_erasure_chain(connection, cache); !chain) return chain;
    return check_erased_rows(connection, cache);
}

}  // namespace consent::server::sqlite

// The store's erasure group (receipt_store.hpp): SqliteStore's part of it.
namespace consent::server {

Result<AppendOutcome> SqliteStore::erase(AppendRequest request) try {
    if (!request.erasure || request.decision.subject_id != kErasureSubject || !request.decision.purposes.empty())
        return make_error("storage.invalid_argument", "an erasure is an erasure receipt with its order");
    std::lock_guard<std::mutex> one_at_a_time(erase_mutex_);
    // The decision column of an erasure receipt is empty: it decides nothing.
    static const std::string kNoDecision;
    auto outcome = pipeline_->append(request, kNoDecision);
    if (!outcome) return outcome.error();
    std::lock_guard<std::mutex> lock(admin_mutex_);
    if (auto scrubbed = sqlite::scrub_files(*admin_); !scrubbed) return scrubbed.error();
    return outcome;
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<StoredReceipt>> SqliteStore::subject_erasures(const std::string& site_id,
                                                                 const std::string& subject_tag) try {
    return sqlite::subject_erasures(*reads_, site_id, subject_tag);
} catch (...) {
    return sqlite::internal_error();
}

Status SqliteStore::set_retention(const std::string& site_id, std::int64_t keep_seconds) try {
    std::lock_guard<std::mutex> lock(admin_mutex_);
    return sqlite::set_retention(*admin_, site_id, keep_seconds);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::int64_t> SqliteStore::retention(const std::string& site_id) try {
    return sqlite::retention(*reads_, site_id);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteStore::retention_policies() try {
    return sqlite::retention_policies(*reads_);
} catch (...) {
    return sqlite::internal_error();
}

}  // namespace consent::server
