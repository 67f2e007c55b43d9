// PgStore::rebuild_check: the store's own audit in one REPEATABLE READ
// snapshot, the same checks as the SQLite file's (sqlite_rebuild_check.cpp,
// sqlite_receipt_audit.cpp, sqlite_log_audit.cpp): every receipt's columns
// against its signed JWS and its subject's chain, the current state against
// the core's fold of the receipts, the Merkle nodes against the receipts and
// each other, every erased row against the erasure receipt that names it
// (pg_erasure_audit.cpp), and every checkpoint against the stored tree. Large tables are
// walked through a cursor, a page at a time.
#include <optional>
#include <string>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "storage/pg_checkpoints.hpp"
#include "storage/pg_erasure.hpp"
#include "storage/pg_merkle.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_store.hpp"

namespace consent::server {
namespace {

using pg::Connection;
using pg::param;
using pg::Rows;

Error receipt_mismatch(std::int64_t log_index, const std::string& what) {
    return make_error("storage.receipt_mismatch",
                      "the receipt at log index " + std::to_string(log_index) + ": " + what);
}

Error state_mismatch(const std::string& site_id, const std::string& subject_id, const std::string& purpose) {
    return make_error("storage.state_mismatch", "the current state differs from the receipts at site '" + site_id +
                                                    "', subject '" + subject_id + "', purpose '" + purpose + "'");
}

Error log_mismatch(std::int64_t level, std::int64_t index, const std::string& what) {
    return make_error("storage.log_mismatch", "the Merkle node at level " + std::to_string(level) + ", index " +
                                                  std::to_string(index) + " " + what);
}

struct ReceiptRow {
    std::int64_t log_index;
    std::string receipt_id, site_id, subject_id, decision_id;
    std::int64_t server_time;
    std::string jws, payload, method, prev_hash, decision;
};

ReceiptRow read_row(const Rows& s, int r) {
    return ReceiptRow{s.int64(r, 0), s.text(r, 1), s.text(r, 2), s.text(r, 3), s.text(r, 4), s.int64(r, 5),
                      s.text(r, 6),  s.text(r, 7), s.text(r, 8), s.text(r, 9), s.text(r, 10)};
}

// One row against its own JWS, and its chain column against the subject's
// previous receipt ("" for the first); returns the decision it records.
Result<Decision> check_row(const ReceiptRow& row, const std::string& previous_jws) {
    auto jws = parse_compact_jws(row.jws);
    if (!jws) return receipt_mismatch(row.log_index, "its JWS does not parse: " + jws.error().code);
    if (row.payload != jws->payload_text)
        return receipt_mismatch(row.log_index, "its payload column is not the signed payload");
    auto contents = read_receipt_payload(jws->payload);
    if (!contents)
        return receipt_mismatch(row.log_index, "its signed payload does not read back: " + contents.error().code);
    const Decision& d = contents->decision;
    const ReceiptFacts& f = contents->facts;
    const char* differs = f.log_index != row.log_index                     ? "log_index"
                          : f.receipt_id != row.receipt_id                 ? "receipt_id"
                          : f.site_id != row.site_id                       ? "site_id"
                          : d.subject_id != row.subject_id                 ? "subject_id"
                          : d.decision_id != row.decision_id               ? "decision_id"
                          : f.server_time != row.server_time               ? "server_time"
                          : std::string(to_string(d.method)) != row.method ? "method"
                          : f.previous_receipt_hash != row.prev_hash       ? "prev_hash"
                                                                           : nullptr;
    if (differs != nullptr)
        return receipt_mismatch(row.log_index, std::string("its ") + differs + " column differs from its JWS");
    auto recorded = canonicalize(decision_to_json(d));
    if (!recorded) return recorded.error();
    if (*recorded != row.decision) return receipt_mismatch(row.log_index, "its decision column differs from its JWS");
    const std::string expected_prev = previous_jws.empty() ? std::string() : receipt_hash(previous_jws);
    if (row.prev_hash != expected_prev)
        return receipt_mismatch(row.log_index, "it does not name the subject's previous receipt (the chain is broken)");
    return d;
}

bool same_record(const PurposeRecord& a, const PurposeRecord& b) {
    return a.state == b.state && a.method == b.method && a.notice_id == b.notice_id &&
           a.notice_version == b.notice_version && a.decided_at == b.decided_at && a.receipt_id == b.receipt_id;
}

Status compare_with_stored(Connection& c, const std::string& site, const std::string& subject,
                           const SubjectState& rebuilt) {
    auto stored = pg::load_state(c, site, subject);
    if (!stored) return stored.error();
    for (const auto& [purpose, record] : rebuilt) {
        const auto found = stored->find(purpose);
        if (found == stored->end() || !same_record(found->second, record))
            return state_mismatch(site, subject, purpose);
    }
    for (const auto& entry : *stored)
        if (rebuilt.count(entry.first) == 0) return state_mismatch(site, subject, entry.first);
    return Unit{};
}

// Receipts grouped by subject (receipts_by_subject order): each subject's
// chain is walked and its state folded, then compared with the stored one.
// Erased rows and erasure receipts are check_erasures' (pg_erasure_audit.cpp).
Status check_receipts_and_states(Connection& c) {
    std::string site, subject, previous_jws;
    bool any = false;
    SubjectState state;
    auto walked = pg::for_each_row(
        c,
        "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method, prev_hash, "
        "decision FROM receipts WHERE jws <> '' AND subject_id <> '#erasure' ORDER BY site_id, subject_id, log_index",
        {}, [&](const Rows& rows, int r) -> Status {
            ReceiptRow row = read_row(rows, r);
            if (any && (row.site_id != site || row.subject_id != subject)) {
                if (auto same = compare_with_stored(c, site, subject, state); !same) return same;
                state.clear();
                previous_jws.clear();
            }
            auto decision = check_row(row, previous_jws);
            if (!decision) return decision.error();
            apply_decision(state, *decision, row.server_time, row.receipt_id);
            any = true;
            site = std::move(row.site_id);
            subject = std::move(row.subject_id);
            previous_jws = std::move(row.jws);
            return Unit{};
        });
    if (!walked) return walked;
    return any ? compare_with_stored(c, site, subject, state) : Status(Unit{});
}

Status check_no_state_without_receipts(Connection& c) {
    auto rows = c.query(
        "SELECT site_id, subject_id, purpose FROM current_state AS s WHERE NOT EXISTS "
        "(SELECT 1 FROM receipts AS r WHERE r.site_id = s.site_id AND r.subject_id = s.subject_id) LIMIT 1");
    if (!rows) return rows.error();
    if (rows->size() != 0) return state_mismatch(rows->text(0, 0), rows->text(0, 1), rows->text(0, 2));
    return Unit{};
}

// log_state says where the log ends; the receipts must be exactly 0 … size-1.
Status check_log_state(Connection& c, std::int64_t size) {
    auto rows = c.query("SELECT COUNT(*), COALESCE(MAX(log_index) + 1, 0) FROM receipts");
    if (!rows) return rows.error();
    if (rows->int64(0, 0) != size || rows->int64(0, 1) != size)
        return make_error("storage.log_mismatch", "log_state says the log holds " + std::to_string(size) +
                                                      " receipts, the receipts table holds " + rows->text(0, 0));
    return Unit{};
}

// Every receipt has its leaf, the RFC 9162 §2.1.1 leaf hash of its compact JWS.
Status check_leaves(Connection& c) {
    return pg::for_each_row(c,
                            "SELECT r.log_index, r.jws, n.hash FROM receipts AS r LEFT JOIN merkle_nodes AS n "
                            "ON n.level = 0 AND n.idx = r.log_index ORDER BY r.log_index",
                            {}, [](const Rows& rows, int r) -> Status {
                                const std::int64_t index = rows.int64(r, 0);
                                if (rows.is_null(r, 2)) return log_mismatch(0, index, "is missing");
                                // An erased row has no JWS: check_erasures compares its leaf
                                // with the one its erasure receipt names (issue #13).
                                if (rows.text(r, 1).empty()) return Unit{};
                                const auto stored = pg::as_hash(rows.bytes(r, 2));
                                if (!stored || *stored != merkle::leaf_hash(rows.text(r, 1)))
                                    return log_mismatch(0, index,
                                                        "is not the leaf hash of receipt " + std::to_string(index));
                                return Unit{};
                            });
}

Status check_no_node_beyond_the_log(Connection& c, std::int64_t size) {
    auto rows =
        c.query("SELECT level, idx FROM merkle_nodes WHERE idx >= ($1::bigint >> level) ORDER BY level, idx LIMIT 1",
                {param(size)});
    if (!rows) return rows.error();
    if (rows->size() != 0) return log_mismatch(rows->int64(0, 0), rows->int64(0, 1), "is beyond the log");
    return Unit{};
}

// Every interior node is node_hash of its two stored children, lowest first.
Status check_interior_nodes(Connection& c) {
    return pg::for_each_row(c,
                            "SELECT p.level, p.idx, p.hash, l.hash, r.hash FROM merkle_nodes AS p "
                            "LEFT JOIN merkle_nodes AS l ON l.level = p.level - 1 AND l.idx = 2 * p.idx "
                            "LEFT JOIN merkle_nodes AS r ON r.level = p.level - 1 AND r.idx = 2 * p.idx + 1 "
                            "WHERE p.level > 0 ORDER BY p.level, p.idx",
                            {}, [](const Rows& rows, int r) -> Status {
                                const std::int64_t level = rows.int64(r, 0);
                                const std::int64_t index = rows.int64(r, 1);
                                if (rows.is_null(r, 3)) return log_mismatch(level - 1, 2 * index, "is missing");
                                if (rows.is_null(r, 4)) return log_mismatch(level - 1, 2 * index + 1, "is missing");
                                const auto parent = pg::as_hash(rows.bytes(r, 2));
                                const auto left = pg::as_hash(rows.bytes(r, 3));
                                const auto right = pg::as_hash(rows.bytes(r, 4));
                                if (!parent || !left || !right || *parent != merkle::node_hash(*left, *right))
                                    return log_mismatch(level, index, "is not the hash of its two children");
                                return Unit{};
                            });
}

// Each checkpoint signs the root the stored log has at its size.
Status check_checkpoints(Connection& c, std::int64_t size) {
    auto all = pg::all_checkpoints(c);
    if (!all) return all.error();
    for (const Checkpoint& checkpoint : *all) {
        const std::string where = "the checkpoint at tree size " + std::to_string(checkpoint.tree_size);
        if (checkpoint.tree_size > size) return make_error("storage.log_mismatch", where + " is beyond the log");
        auto root = pg::root_at(c, checkpoint.tree_size);
        if (!root) return root.error();
        if (*root != checkpoint.root)
            return make_error("storage.log_mismatch", where + " does not sign the log's root at that size");
    }
    return Unit{};
}

Status check_log(Connection& c) {
    auto size = pg::log_size(c);
    if (!size) return size.error();
    if (auto counted = check_log_state(c, *size); !counted) return counted;
    if (auto leaves = check_leaves(c); !leaves) return leaves;
    if (auto bounded = check_no_node_beyond_the_log(c, *size); !bounded) return bounded;
    if (auto interior = check_interior_nodes(c); !interior) return interior;
    auto root = pg::root_at(c, *size);  // the complete subtrees of size's binary digits are stored
    if (!root) return root.error();
    return check_checkpoints(c, *size);
}

}  // namespace

Status PgStore::rebuild_check() try {
    return pg::in_snapshot(*pool_, [](Connection& c) -> Status {
        if (auto receipts = check_receipts_and_states(c); !receipts) return receipts;
        if (auto orphans = check_no_state_without_receipts(c); !orphans) return orphans;
        // Erased rows and erasure receipts, which the walk above leaves out (issue #13).
        if (auto erasures = pg::check_erasures(c); !erasures) return erasures;
        return check_log(c);
    });
} catch (...) {
    return pg::internal_error();
}

}  // namespace consent::server
