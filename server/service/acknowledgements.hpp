// Proof that processing stopped (issue #15, item 4): a backend acknowledges
// each withdrawal it has applied, under its name, and consentd keeps the
// acknowledgement beside the receipt. The subject's export then shows which
// backends applied each withdrawal and when; the operator's view lists the
// backends behind the site's newest withdrawal.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "service/consent_service.hpp"

namespace consent::server {

inline constexpr std::size_t kMaxAcknowledgedReceipts = 500;  // per request

// POST /acknowledgements {"backend": <name>, "receipts": [<receipt id>, …]},
// sent with the backend's API key (key_id is recorded with it). The name is
// [a-z0-9][a-z0-9_-]{0,63} (ack.invalid_backend); 1 to 500 receipt ids of the
// site (ack.invalid_receipts, storage.unknown_receipt: then nothing is kept).
// Idempotent per (backend, receipt): a repeat answers the first record.
// bound_backend: the name the caller's key is registered for ("" = a site-wide
// key, which must name its backend); a registered key speaks for it only.
// -> {"backend", "acknowledged": [{"receipt_id","log_index","acknowledged_at","replayed"}]}
Result<nlohmann::json> acknowledge_receipts(ConsentService& service, const std::string& site_id,
                                            const std::string& key_id, const std::string& bound_backend,
                                            const nlohmann::json& body);

// GET /backends -> {"newest_withdrawal": <log index or -1>, "behind": <count>,
//  "backends": [{"backend","last_acknowledged_event","last_acknowledged_at","acknowledgements","behind"}]}
// A backend is behind when its newest acknowledged receipt is older than the
// site's newest withdrawal: it has not said it applied that one.
Result<nlohmann::json> backend_positions(ReceiptStore& store, const std::string& site_id);

// The export's "acknowledgements": [{"receipt_id","log_index","backend","acknowledged_at"}].
Result<nlohmann::json> subject_acknowledgements(ReceiptStore& store, const std::string& site_id,
                                                const std::string& subject_id);

}  // namespace consent::server
