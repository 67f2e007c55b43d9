// The banner's view model: everything the browser renders, decided by the core.
// Every consent switch starts off; a switch is on only when the subject's own
// earlier grant still holds (reopening "Privacy choices" shows what they chose).
#pragma once

#include <string>
#include <vector>

#include "consent/json/json.hpp"

#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

// RFC 4647 §3.4 lookup over the visitor's preference list (navigator.languages):
// exact tag, then shorter prefixes ("de-AT" -> "de"); the notice's default
// language when nothing matches. Case-insensitive.
std::string choose_language(const Notice& notice, const std::vector<std::string>& preferred);

struct ServiceView {
    std::string name;
    std::string provider;
    bool third_party = false;
    std::vector<Cookie> cookies;
};

struct PurposeView {
    std::string id;
    std::string title;
    std::string description;
    bool necessary = false;
    bool toggleable = true;   // false for necessary purposes and for GPC-locked ones
    bool checked = false;     // never true for a consent purpose without a current grant
    bool gpc_locked = false;  // sale/sharing purpose held off by Global Privacy Control
    std::vector<ServiceView> services;
};

struct BannerView {
    std::string language;
    std::string dir;  // "ltr" | "rtl"
    std::string title;
    std::string body;
    std::map<std::string, std::string> labels;
    std::string controller_name;
    std::string controller_contact;
    std::string policy_url;
    bool gpc_applied = false;  // at least one purpose is held off by GPC
    bool prompt = false;       // needs_prompt said the first layer must show
    std::vector<PurposeView> purposes;
};

BannerView banner_view(const PolicyContext& ctx, const std::vector<std::string>& preferred_languages,
                       const SubjectState& state);

Json banner_view_to_json(const BannerView& view);

}  // namespace consent
