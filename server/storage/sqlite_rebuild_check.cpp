#include "storage/sqlite_rebuild_check.hpp"

#include <optional>
#include <string>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/json/canonical_json.hpp"
#include "storage/recorded_decision.hpp"
#include "storage/sqlite_erasure.hpp"
#include "storage/sqlite_log_audit.hpp"
#include "storage/sqlite_receipt_audit.hpp"
#include "storage/sqlite_rows.hpp"

namespace consent::server::sqlite {
namespace {

struct SubjectKey {
    std::string site_id;
    std::string subject_id;
    bool operator==(const SubjectKey& other) const {
        return site_id == other.site_id && subject_id == other.subject_id;
    }
};

Error mismatch(const std::string& site_id, const std::string& subject_id, const std::string& purpose) {
    return make_error("storage.state_mismatch", "the current state differs from the receipts at site '" + site_id +
                                                    "', subject '" + subject_id + "', purpose '" + purpose + "'");
}

std::optional<std::string> first_difference(const SubjectState& rebuilt, const SubjectState& stored) {
    for (const auto& [purpose, record] : rebuilt) {
        const auto found = stored.find(purpose);
        if (found == stored.end() || !same_record(found->second, record)) return purpose;
    }
    for (const auto& entry : stored)
        if (rebuilt.count(entry.first) == 0) return entry.first;
    return std::nullopt;
}

Status compare_with_stored(Connection& connection, const SubjectKey& key, const SubjectState& rebuilt) {
    auto stored = load_state(connection, key.site_id, key.subject_id);
    if (!stored) return stored.error();
    if (auto purpose = first_difference(rebuilt, *stored)) return mismatch(key.site_id, key.subject_id, *purpose);
    return Unit{};
}

// Receipts come grouped by subject (the receipts_by_subject index order),
// so one subject's state is held in memory at a time.
Status check_subjects_with_receipts(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT site_id, subject_id, decision, server_time, receipt_id FROM receipts "
        "WHERE jws <> '' AND subject_id <> '#erasure' ORDER BY site_id, subject_id, log_index");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    std::optional<SubjectKey> current;
    SubjectState state;
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) break;
        SubjectKey key{rows.text(0), rows.text(1)};
        if (current && !(*current == key)) {
            if (auto same = compare_with_stored(connection, *current, state); !same) return same;
            state.clear();
        }
        current = std::move(key);
        if (auto folded = fold_recorded_decision(state, rows.text(2), rows.int64(3), rows.text(4)); !folded)
            return folded;
    }
    return current ? compare_with_stored(connection, *current, state) : Status(Unit{});
}

// The other direction: a state row whose subject has no receipt at all.
Status check_no_state_without_receipts(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT site_id, subject_id, purpose FROM current_state AS c WHERE NOT EXISTS "
        "(SELECT 1 FROM receipts AS r WHERE r.site_id = c.site_id AND r.subject_id = c.subject_id) LIMIT 1");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    auto row = rows.step();
    if (!row) return row.error();
    if (*row) return mismatch(rows.text(0), rows.text(1), rows.text(2));
    return Unit{};
}

}  // namespace

Status rebuild_check(Connection& connection) {
    // Never committed: the read-only transaction ends with a ROLLBACK as it goes out of scope.
    auto snapshot = Transaction::begin(connection, Transaction::Mode::deferred);
    if (!snapshot) return snapshot.error();
    // First the rows against their JWS: the fold below reads the decision column.
    if (auto columns = check_receipt_columns(connection); !columns) return columns;
    // Erased rows and erasure receipts, which the column check leaves out (issue #13).
    if (auto erasures = check_erasures(connection); !erasures) return erasures;
    auto with_receipts = check_subjects_with_receipts(connection);
    if (!with_receipts) return with_receipts;
    auto without_receipts = check_no_state_without_receipts(connection);
    if (!without_receipts) return without_receipts;
    return check_log(connection);
}

}  // namespace consent::server::sqlite
