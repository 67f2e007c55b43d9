#include "storage/sqlite_append_backend.hpp"

#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_log_writer.hpp"
#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_read_pool.hpp"
#include "storage/sqlite_rows.hpp"

namespace consent::server::sqlite {
namespace {

// The receipts.decision column: RFC 8785 canonical JSON of decision_to_json.
Result<Decision> parse_recorded(const std::string& text) {
    auto json = parse_json_strict(text);
    if (!json) return make_error("storage.corrupt_row", "a recorded decision is not JSON");
    auto decision = parse_decision(*json);
    if (!decision) return make_error("storage.corrupt_row", "a recorded decision does not read back");
    return decision;
}

// The decision column comes after the nine that read_receipt_row reads.
constexpr int kDecisionColumn = 9;

}  // namespace

Result<std::optional<PriorReceipt>> AppendBackendImpl::find_decision(const std::string& site_id,
                                                                     const std::string& decision_id) {
    auto rows = read_rows<std::pair<StoredReceipt, std::string>>(
        reads_,
        "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, method, decision "
        "FROM receipts WHERE site_id = ?1 AND decision_id = ?2",
        [&](Statement& s) { s.bind(1, site_id).bind(2, decision_id); },
        [](const Statement& row) -> std::optional<std::pair<StoredReceipt, std::string>> {
            auto receipt = read_receipt_row(row);
            if (!receipt) return std::nullopt;
            return std::make_pair(std::move(*receipt), row.text(kDecisionColumn));
        });
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<PriorReceipt>();
    auto decision = parse_recorded(rows->front().second);
    if (!decision) return decision.error();
    return std::optional<PriorReceipt>(PriorReceipt{std::move(rows.value().front().first), std::move(*decision)});
}

// The chain names the previous receipt by consent::receipt_hash of its JWS.
Result<std::string> AppendBackendImpl::chain_head(const std::string& site_id, const std::string& subject_id) {
    auto rows = read_rows<std::string>(
        reads_, "SELECT jws FROM receipts WHERE site_id = ?1 AND subject_id = ?2 ORDER BY log_index DESC LIMIT 1",
        [&](Statement& s) { s.bind(1, site_id).bind(2, subject_id); },
        [](const Statement& row) { return std::optional<std::string>(row.text(0)); });
    if (!rows) return rows.error();
    if (rows->empty()) return std::string();
    return receipt_hash(rows->front());
}

Result<bool> AppendBackendImpl::site_exists(const std::string& site_id) {
    auto rows = read_rows<int>(
        reads_, "SELECT 1 FROM sites WHERE site_id = ?1", [&](Statement& s) { s.bind(1, site_id); },
        [](const Statement&) { return std::optional<int>(1); });
    if (!rows) return rows.error();
    return !rows->empty();
}

Result<std::optional<Checkpoint>> AppendBackendImpl::latest_checkpoint() {
    return in_read_snapshot(reads_, [](Connection& c) { return sqlite::latest_checkpoint(c); });
}

Result<std::int64_t> AppendBackendImpl::load_log() { return writer_.load_log(); }

Result<std::optional<Checkpoint>> AppendBackendImpl::write_batch(const std::vector<SealedAppend>& batch) {
    return writer_.write_batch(batch);
}

}  // namespace consent::server::sqlite
