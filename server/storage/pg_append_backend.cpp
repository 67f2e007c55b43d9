#include "storage/pg_append_backend.hpp"

#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"
#include "storage/pg_checkpoints.hpp"
#include "storage/pg_log_writer.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"

namespace consent::server::pg {
namespace {

// The receipts.decision column: RFC 8785 canonical JSON of decision_to_json.
Result<Decision> parse_recorded(const std::string& text) {
    auto json = parse_json_strict(text);
    if (!json) return make_error("storage.corrupt_row", "a recorded decision is not JSON");
    auto decision = parse_decision(*json);
    if (!decision) return make_error("storage.corrupt_row", "a recorded decision does not read back");
    return decision;
}

constexpr int kDecisionColumn = 9;  // after the nine that read_receipt reads

}  // namespace

Result<std::optional<PriorReceipt>> AppendBackendImpl::find_decision(const std::string& site_id,
                                                                     const std::string& decision_id) {
    auto rows = query(pool_,
                      "SELECT log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
                      "method, decision FROM receipts WHERE site_id = $1 AND decision_id = $2",
                      {param(site_id), param(decision_id)});
    if (!rows) return rows.error();
    if (rows->size() == 0) return std::optional<PriorReceipt>();
    auto decision = parse_recorded(rows->text(0, kDecisionColumn));
    if (!decision) return decision.error();
    return std::optional<PriorReceipt>(PriorReceipt{read_receipt(*rows, 0), std::move(*decision)});
}

// The chain names the previous receipt by consent::receipt_hash of its JWS.
Result<std::string> AppendBackendImpl::chain_head(const std::string& site_id, const std::string& subject_id) {
    auto rows =
        query(pool_, "SELECT jws FROM receipts WHERE site_id = $1 AND subject_id = $2 ORDER BY log_index DESC LIMIT 1",
              {param(site_id), param(subject_id)});
    if (!rows) return rows.error();
    if (rows->size() == 0) return std::string();
    return receipt_hash(rows->text(0, 0));
}

Result<bool> AppendBackendImpl::site_exists(const std::string& site_id) {
    auto rows = query(pool_, "SELECT 1 FROM sites WHERE site_id = $1", {param(site_id)});
    if (!rows) return rows.error();
    return rows->size() != 0;
}

Result<std::optional<Checkpoint>> AppendBackendImpl::latest_checkpoint() {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    return pg::latest_checkpoint(**lease);
}

Result<std::int64_t> AppendBackendImpl::load_log() { return writer_.load_log(); }

Result<std::optional<Checkpoint>> AppendBackendImpl::write_batch(const std::vector<SealedAppend>& batch) {
    return writer_.write_batch(batch);
}

}  // namespace consent::server::pg
