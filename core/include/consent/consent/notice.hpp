// The notice: the versioned explanation a visitor sees before deciding.
//
// A published version is immutable; its content hash (SHA-256 over the RFC 8785
// canonical JSON of notice_to_json) is what a receipt names, so that a site can
// later show the exact text a person agreed to (GDPR Art. 7(1)).
//
// A consent purpose has no "default state" field at all: a configuration that
// tries to pre-check one (CJEU C-673/17 Planet49) is rejected at parse time with
// "notice.prechecked_forbidden" and cannot be represented.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"

namespace consent {

enum class LegalBasis { consent, necessary };

std::string_view to_string(LegalBasis basis) noexcept;

struct PurposeText {
    std::string title;
    std::string description;
};

struct Cookie {
    std::string name;                // exact name, or a prefix ending in '*' ("_ga*")
    std::int64_t lifetime_days = 0;  // 0: a session cookie; at most 400 (browser cap)
};

// Who processes the data for a purpose (GDPR Art. 13(1)(e) recipients).
struct Service {
    std::string name;
    std::string provider;
    bool third_party = false;
    std::optional<std::string> privacy_url;
    std::vector<Cookie> cookies;
};

inline constexpr std::int64_t kDefaultMaxAgeDays = 180;      // CNIL 2020: ask again after ~6 months
inline constexpr std::int64_t kMaxCookieLifetimeDays = 400;  // browsers cap cookie lifetime here

struct Purpose {
    std::string id;
    LegalBasis legal_basis = LegalBasis::consent;
    std::map<std::string, PurposeText> texts;  // by language tag
    std::vector<Service> services;
    std::vector<std::string> consent_mode;                   // Google Consent Mode types it feeds
    bool sale_or_sharing = false;                            // GPC applies (CCPA regs §7025)
    std::int64_t max_age_days = kDefaultMaxAgeDays;          // a grant older than this asks again
    std::int64_t refusal_max_age_days = kDefaultMaxAgeDays;  // a refusal older than this asks again
    std::optional<std::string> dpv;                          // W3C DPV purpose IRI

    bool is_necessary() const noexcept { return legal_basis == LegalBasis::necessary; }
};

struct Controller {
    std::string name;
    std::string contact;
    std::optional<std::string> address;
};

struct NoticeText {
    std::string title;
    std::string body;
    std::map<std::string, std::string> labels;  // overrides of the built-in button labels
};

struct Notice {
    std::string notice_id;
    std::int64_t version = 1;
    bool material = true;  // a material change asks everyone again
    Controller controller;
    std::string policy_url;
    std::optional<std::string> jurisdiction;
    std::vector<std::string> languages;  // the first is the default
    std::map<std::string, NoticeText> texts;
    std::vector<Purpose> purposes;  // in display order

    const Purpose* find_purpose(std::string_view id) const noexcept;
    const std::string& default_language() const { return languages.front(); }
};

// Strict parse; every rejection names the field by JSON pointer.
Result<Notice> parse_notice(const Json& json);
Result<Notice> parse_notice_text(std::string_view json_text);

// The normalized form (defaults filled in) that is hashed, stored and served.
Json notice_to_json(const Notice& notice);

// Lowercase hex SHA-256 over RFC 8785 canonical JSON of notice_to_json().
std::string notice_content_hash(const Notice& notice);

// The version that earlier decisions must be at least as new as: the newest
// version up to `current` that was a material change (1 if none was).
std::int64_t last_material_version(const std::vector<Notice>& versions, std::int64_t current);

}  // namespace consent
