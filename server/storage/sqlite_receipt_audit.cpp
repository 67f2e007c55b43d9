#include "storage/sqlite_receipt_audit.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"

namespace consent::server::sqlite {
namespace {

Error mismatch(std::int64_t log_index, const std::string& what) {
    return make_error("storage.receipt_mismatch",
                      "the receipt at log index " + std::to_string(log_index) + ": " + what);
}

// The row as stored, in the columns' order of the query below.
struct Row {
    std::int64_t log_index;
    std::string receipt_id, site_id, subject_id, decision_id;
    std::int64_t server_time;
    std::string jws, payload, method, prev_hash, decision;
};

Row read_row(const Statement& s) {
    return Row{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5),
               s.text(6),  s.text(7), s.text(8), s.text(9), s.text(10)};
}

// One row against its own JWS; previous_jws is the same subject's receipt
// before it ("" for the first), whose hash the row's chain column must hold.
Status check_row(const Row& row, const std::string& previous_jws) {
    auto jws = parse_compact_jws(row.jws);
    if (!jws) return mismatch(row.log_index, "its JWS does not parse: " + jws.error().code);
    if (row.payload != jws->payload_text)
        return mismatch(row.log_index, "its payload column is not the signed payload");
    auto contents = read_receipt_payload(jws->payload);
    if (!contents) return mismatch(row.log_index, "its signed payload does not read back: " + contents.error().code);
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
        return mismatch(row.log_index, std::string("its ") + differs + " column differs from its JWS");
    auto recorded = canonicalize(decision_to_json(d));
    if (!recorded) return recorded.error();
    if (*recorded != row.decision) return mismatch(row.log_index, "its decision column differs from its JWS");
    const std::string expected_prev = previous_jws.empty() ? std::string() : receipt_hash(previous_jws);
    if (row.prev_hash != expected_prev)
        return mismatch(row.log_index, "it does not name the subject's previous receipt (the chain is broken)");
    return Unit{};
}

}  // namespace

Status check_receipt_columns(Connection& connection) {
    // In receipts_by_subject order, so each subject's chain is walked in turn.
    // Erased rows and erasure receipts are check_erasures' (sqlite_erasure.hpp).
    auto statement = connection.prepare(
        "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method, "
        "prev_hash, decision FROM receipts WHERE jws <> '' AND subject_id <> '#erasure' "
        "ORDER BY site_id, subject_id, log_index");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    std::string site, subject, previous_jws;
    for (;;) {
        auto next = rows.step();
        if (!next) return next.error();
        if (!*next) return Unit{};
        Row row = read_row(rows);
        if (row.site_id != site || row.subject_id != subject) previous_jws.clear();
        if (auto checked = check_row(row, previous_jws); !checked) return checked;
        site = std::move(row.site_id);
        subject = std::move(row.subject_id);
        previous_jws = std::move(row.jws);
    }
}

}  // namespace consent::server::sqlite
