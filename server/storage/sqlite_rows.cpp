#include "storage/sqlite_rows.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"

namespace consent::server::sqlite {
StoredReceipt read_receipt(const Statement& row) {
    StoredReceipt r;
    r.log_index = row.int64(0);
    r.receipt_id = row.text(1);
    r.site_id = row.text(2);
    r.subject_id = row.text(3);
    r.decision_id = row.text(4);
    r.server_time = row.int64(5);
    r.jws = row.text(6);
    r.payload = row.text(7);
    r.method = row.text(8);
    return r;
}

std::optional<StoredReceipt> read_receipt_row(const Statement& row) { return read_receipt(row); }

namespace {

std::optional<PurposeState> state_from_string(const std::string& text) {
    if (text == to_string(PurposeState::granted)) return PurposeState::granted;
    if (text == to_string(PurposeState::denied)) return PurposeState::denied;
    return std::nullopt;
}

Result<PurposeRecord> read_record(const Statement& row) {
    const auto state = state_from_string(row.text(1));
    const auto method = method_from_string(row.text(2));
    if (!state || !method) return make_error("storage.corrupt_row", "a current_state row holds an unknown value");
    return PurposeRecord{*state, *method, row.text(3), row.int64(4), row.int64(5), row.text(6)};
}

}  // namespace

std::string select_receipts(const char* rest) {
    return std::string(
               "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method "
               "FROM receipts ") +
           rest;
}

Result<SubjectState> load_state(Connection& connection, const std::string& site_id, const std::string& subject_id) {
    auto statement = connection.prepare(
        "SELECT purpose, state, method, notice_id, notice_version, decided_at, receipt_id "
        "FROM current_state WHERE site_id = ?1 AND subject_id = ?2");
    if (!statement) return statement.error();
    Statement& rows = statement.value().bind(1, site_id).bind(2, subject_id);
    SubjectState state;
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return state;
        auto record = read_record(rows);
        if (!record) return record.error();
        state.emplace(rows.text(0), std::move(record.value()));
    }
}

// That this text reads back as the same decision (what a retry is compared
// with) is the decision fuzz target's property: checking it again here for
// every receipt cost about a twentieth of the write path's CPU (issue #11).
Result<std::string> recorded_decision_json(const Decision& decision) {
    auto text = canonicalize(decision_to_json(decision));
    if (!text) return make_error("storage.invalid_decision", text.error().message, text.error().path);
    return text;
}

bool same_record(const PurposeRecord& a, const PurposeRecord& b) {
    return a.state == b.state && a.method == b.method && a.notice_id == b.notice_id &&
           a.notice_version == b.notice_version && a.decided_at == b.decided_at && a.receipt_id == b.receipt_id;
}

Status write_state_row(Connection& connection, const std::string& site_id, const std::string& subject_id,
                       const std::string& purpose, const PurposeRecord& record) {
    auto statement = connection.prepare(
        "INSERT OR REPLACE INTO current_state (site_id, subject_id, purpose, state, method, notice_id, "
        "notice_version, decided_at, receipt_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, site_id)
        .bind(2, subject_id)
        .bind(3, purpose)
        .bind(4, to_string(record.state))
        .bind(5, to_string(record.method))
        .bind(6, record.notice_id)
        .bind(7, record.notice_version)
        .bind(8, record.decided_at)
        .bind(9, record.receipt_id)
        .run();
}

}  // namespace consent::server::sqlite
