#include "consent/banner/consent_mode.hpp"

namespace consent {

std::map<std::string, std::string> consent_mode_state(const PolicyContext& ctx, const SubjectState& state) {
    // Start from "granted" for every mapped type, then let any purpose that is
    // not allowed deny each type it feeds.
    std::map<std::string, bool> granted;
    for (const auto& p : ctx.notice.purposes) {
        const bool allowed = is_allowed(ctx, p.id, state).allowed;
        for (const auto& type : p.consent_mode) {
            auto [it, inserted] = granted.emplace(type, allowed);
            if (!inserted) it->second = it->second && allowed;
        }
    }
    std::map<std::string, std::string> out;
    for (const char* type : kConsentModeRequiredTypes) out[type] = "denied";
    for (const auto& [type, ok] : granted) out[type] = ok ? "granted" : "denied";
    return out;
}

std::map<std::string, std::string> consent_mode_defaults(const PolicyContext& ctx) {
    return consent_mode_state(ctx, SubjectState{});
}

}  // namespace consent
