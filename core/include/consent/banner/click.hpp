// What a click on the banner records: the method, and the choices or purposes
// that go with it. The banner fills in the rest of the request (ids, notice,
// language, time); the rules for what a click means live here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

enum class Click { accept, reject, save };

struct ClickRecord {
    Method method = Method::custom;
    std::map<std::string, bool> choices;  // for custom and gpc
    std::vector<std::string> purposes;    // for withdraw
};

// - Under Global Privacy Control every decision is method gpc: the signal is
//   the answer for sale/sharing purposes, which no choice can grant.
// - "Save" that only switches purposes off that are allowed now withdraws
//   exactly those (the record says withdrawn, not merely denied).
// - Otherwise accept_all, reject_all, or custom with the switches as set.
// saved: the switches of a save (purpose -> on); ignored for accept/reject.
ClickRecord click_record(const PolicyContext& ctx, const SubjectState& state, Click click,
                         const std::map<std::string, bool>& saved);

}  // namespace consent
