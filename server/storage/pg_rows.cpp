#include "storage/pg_rows.hpp"

#include <utility>

namespace consent::server::pg {
namespace {

std::optional<PurposeState> state_from_string(const std::string& text) {
    if (text == to_string(PurposeState::granted)) return PurposeState::granted;
    if (text == to_string(PurposeState::denied)) return PurposeState::denied;
    return std::nullopt;
}

// Rows per FETCH: large enough that round trips do not dominate, small enough to bound memory.
constexpr int kPageRows = 2000;

}  // namespace

std::string select_receipts(const char* rest) {
    return std::string(
               "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method "
               "FROM receipts ") +
           rest;
}

StoredReceipt read_receipt(const Rows& rows, int r) {
    StoredReceipt out;
    out.log_index = rows.int64(r, 0);
    out.receipt_id = rows.text(r, 1);
    out.site_id = rows.text(r, 2);
    out.subject_id = rows.text(r, 3);
    out.decision_id = rows.text(r, 4);
    out.server_time = rows.int64(r, 5);
    out.jws = rows.text(r, 6);
    out.payload = rows.text(r, 7);
    out.method = rows.text(r, 8);
    return out;
}

Result<std::vector<StoredReceipt>> receipts(Pool& pool, const std::string& sql, const Params& params) {
    auto rows = query(pool, sql, params);
    if (!rows) return rows.error();
    std::vector<StoredReceipt> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int r = 0; r < rows->size(); ++r) out.push_back(read_receipt(*rows, r));
    return out;
}

Result<PurposeRecord> read_record(const Rows& rows, int r, int c) {
    const auto state = state_from_string(rows.text(r, c));
    const auto method = method_from_string(rows.text(r, c + 1));
    if (!state || !method) return make_error("storage.corrupt_row", "a current_state row holds an unknown value");
    return PurposeRecord{
        *state, *method, rows.text(r, c + 2), rows.int64(r, c + 3), rows.int64(r, c + 4), rows.text(r, c + 5)};
}

Result<SubjectState> load_state(Connection& c, const std::string& site_id, const std::string& subject_id) {
    auto rows = c.query(
        "SELECT purpose, state, method, notice_id, notice_version, decided_at, receipt_id "
        "FROM current_state WHERE site_id = $1 AND subject_id = $2",
        {param(site_id), param(subject_id)});
    if (!rows) return rows.error();
    SubjectState state;
    for (int r = 0; r < rows->size(); ++r) {
        auto record = read_record(*rows, r, 1);
        if (!record) return record.error();
        state.emplace(rows->text(r, 0), std::move(record.value()));
    }
    return state;
}

Status for_each_row(Connection& c, const std::string& sql, const Params& params,
                    const std::function<Status(const Rows&, int)>& each) {
    if (auto declared = c.run("DECLARE consent_walk NO SCROLL CURSOR FOR " + sql, params); !declared) return declared;
    for (;;) {
        auto page = c.query("FETCH " + std::to_string(kPageRows) + " FROM consent_walk");
        if (!page) return page.error();
        for (int r = 0; r < page->size(); ++r)
            if (auto handled = each(*page, r); !handled) return handled;
        if (page->size() < kPageRows) break;
    }
    return c.exec_script("CLOSE consent_walk");
}

}  // namespace consent::server::pg
