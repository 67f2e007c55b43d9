// JSON forms of policy state and answers, shared by the wasm boundary, the
// server's storage and the CLI so that every side reads and writes the same shape.
#pragma once

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

// {"analytics": {"state":"granted","method":"custom","notice_id":"…","notice_version":3,
//                "decided_at":1767225600,"receipt_id":"…"}, …}
Json subject_state_to_json(const SubjectState& state);
Result<SubjectState> parse_subject_state(const Json& json);

Json verdict_to_json(const Verdict& verdict);
Json prompt_verdict_to_json(const PromptVerdict& verdict);

}  // namespace consent
