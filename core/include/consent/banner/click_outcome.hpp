// What a first-layer click does on the page the moment it is made: the verdict
// per purpose and the Consent Mode states once the decision it records holds.
//
// A first visit's question is drawn from consentd's answer (GET …/banner-view)
// before the banner's wasm core has loaded, and a click on "Accept all" or
// "Reject all" must start the gated scripts at once. consentd's core works the
// outcome out beside the click record, from the same rules the wasm would run
// (click_record, make_decision, apply_decision, is_allowed, consent_mode_state);
// the page carries it out and decides nothing itself.
#pragma once

#include <map>
#include <string>

#include "consent/banner/click.hpp"
#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

struct ClickOutcome {
    std::map<std::string, bool> allowed;              // purpose id -> allowed after the click
    std::map<std::string, std::string> consent_mode;  // Google Consent Mode type -> granted | denied
};

// state: the state before the click; notice_hash: the content hash of ctx.notice.
// The decision is applied at ctx.now, as the banner applies it when it is made.
// Errors are make_decision's (a record the notice does not accept).
Result<ClickOutcome> click_outcome(const PolicyContext& ctx, const std::string& notice_hash, const SubjectState& state,
                                   const ClickRecord& record);

}  // namespace consent
