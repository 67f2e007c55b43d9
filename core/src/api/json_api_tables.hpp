// The two groups of the JSON API's operations. The banner's module links only
// banner_operations(); proof verification (Ed25519, SHA-512, Merkle) is a
// separate table so the browser loads it only on the page that verifies.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"

namespace consent::api {

using Operation = Result<Json> (*)(const Json&);
using OperationTable = std::map<std::string, Operation, std::less<>>;

// Notices, banner view (and banner.evaluate: view + verdicts + Consent Mode
// at once), decisions, state, policy, Consent Mode, JCS.
const OperationTable& banner_operations();
// The part of it a page's banner calls (web/src/banner.js): what consent-banner.wasm links, so that
// the operations only other callers use (JCS, the separate view and policy calls) cost it no bytes.
const OperationTable& page_operations();
// Merkle proofs, receipt signatures, checkpoints.
const OperationTable& proof_operations();

}  // namespace consent::api
