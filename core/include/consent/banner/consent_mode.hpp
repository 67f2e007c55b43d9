// Google Consent Mode v2: which storage/consent types the page may report as
// "granted". A type is granted only when every purpose that feeds it is allowed
// by the policy; a type no purpose feeds stays "denied" (unknown means denied).
#pragma once

#include <map>
#include <string>

#include "consent/consent/policy.hpp"

namespace consent {

// Always present in the output: the four types Consent Mode v2 requires.
inline constexpr const char* kConsentModeRequiredTypes[] = {"ad_storage", "analytics_storage", "ad_user_data",
                                                            "ad_personalization"};

// type -> "granted" | "denied", for the required types and every type the notice maps.
std::map<std::string, std::string> consent_mode_state(const PolicyContext& ctx, const SubjectState& state);

// What to push before any tag runs: the state for a subject with no decision.
std::map<std::string, std::string> consent_mode_defaults(const PolicyContext& ctx);

}  // namespace consent
