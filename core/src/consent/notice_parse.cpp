// Strict parsing of a notice version. The rules here are the ones a regulator
// asks a site to be able to show: informed (GDPR Art. 13: controller, purposes,
// recipients, cookie lifetimes), granular, and never pre-checked (Planet49).
#include <algorithm>
#include <set>

#include "consent/consent/label_keys.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/text_rules.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"

namespace consent {
namespace {

using json = Json;

constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxBody = 4000;
constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxPurposes = 64;

// Field names that would give a consent purpose an initial "on" state. They are
// named so that the error says why, instead of a generic "unknown field".
constexpr std::string_view kPrecheckFields[] = {
    "default", "default_state", "defaultState",  "checked", "prechecked", "pre_checked", "preselected",
    "enabled", "initial",       "initial_state", "granted", "value",      "state",       "on"};

const std::set<std::string>& consent_mode_types() {
    // Google Consent Mode v2 storage/consent types.
    static const std::set<std::string> types{"ad_storage",         "analytics_storage",     "ad_user_data",
                                             "ad_personalization", "functionality_storage", "personalization_storage",
                                             "security_storage"};
    return types;
}

Status reject_precheck(const json& purpose, const std::string& path) {
    for (auto field : kPrecheckFields) {
        if (purpose.find(std::string(field)) != purpose.end()) {
            return make_error("notice.prechecked_forbidden",
                              "a purpose cannot have a default or pre-checked state (\"" + std::string(field) +
                                  "\"): every consent switch starts off (CJEU C-673/17 Planet49)",
                              json_pointer_append(path, field));
        }
    }
    return Unit{};
}

Result<Cookie> parse_cookie(const json& j, const std::string& path) {
    FieldReader r(j, path, "notice");
    r.reject_unknown({"name", "lifetime_days"});
    Cookie c;
    c.name = r.string("name", 128);
    c.lifetime_days = r.integer("lifetime_days", 0, 100000);
    if (r.ok() && !is_cookie_pattern(c.name))
        r.fail("invalid_cookie_name", "cookie name must be a cookie token, optionally ending in '*'",
               r.path_of("name"));
    if (r.ok() && c.lifetime_days > kMaxCookieLifetimeDays)
        r.fail("cookie_lifetime_too_long", "browsers cap cookie lifetime at 400 days; declare the real lifetime",
               r.path_of("lifetime_days"));
    if (!r.ok()) return r.error();
    return c;
}

Result<Service> parse_service(const json& j, const std::string& path) {
    FieldReader r(j, path, "notice");
    r.reject_unknown({"name", "provider", "third_party", "privacy_url", "cookies"});
    Service s;
    s.name = r.string("name", kMaxName);
    s.provider = r.string("provider", kMaxName);
    s.third_party = r.boolean("third_party");
    s.privacy_url = r.optional_string("privacy_url", kMaxUrl);
    if (r.ok() && s.privacy_url && !is_web_url(*s.privacy_url))
        r.fail("invalid_url", "privacy_url must be an https URL", r.path_of("privacy_url"));
    const json* cookies = r.array("cookies", true);
    if (!r.ok()) return r.error();
    for (std::size_t i = 0; i < cookies->size(); ++i) {
        auto c = parse_cookie((*cookies)[i], json_pointer_append(r.path_of("cookies"), i));
        if (!c) return c.error();
        s.cookies.push_back(std::move(c).value());
    }
    return s;
}

Result<PurposeText> parse_purpose_text(const json& j, const std::string& path) {
    FieldReader r(j, path, "notice");
    r.reject_unknown({"title", "description"});
    PurposeText t{r.string("title", kMaxTitle), r.string("description", kMaxBody)};
    if (!r.ok()) return r.error();
    return t;
}

// Texts must exist for exactly the notice's languages: a visitor is never shown
// a purpose without its explanation in the language of the banner.
template <class T, class ParseOne>
Status parse_texts(const json& j, const std::string& path, const std::vector<std::string>& languages,
                   std::map<std::string, T>& out, ParseOne parse_one) {
    if (!j.is_object()) return make_error("notice.wrong_type", "\"texts\" must be an object", path);
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find(languages.begin(), languages.end(), it.key()) == languages.end())
            return make_error("notice.unknown_language", "text for a language not listed in \"languages\"",
                              json_pointer_append(path, it.key()));
        auto text = parse_one(*it, json_pointer_append(path, it.key()));
        if (!text) return text.error();
        out.emplace(it.key(), std::move(text).value());
    }
    for (const auto& lang : languages) {
        if (out.find(lang) == out.end())
            return make_error("notice.missing_text", "no text for language \"" + lang + "\"",
                              json_pointer_append(path, lang));
    }
    return Unit{};
}

Status parse_consent_mode(const json* list, const std::string& path, Purpose& p) {
    if (list == nullptr) return Unit{};
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& v = (*list)[i];
        const std::string at = json_pointer_append(path, i);
        if (!v.is_string() || consent_mode_types().count(v.get<std::string>()) == 0)
            return make_error("notice.unknown_consent_mode_type", "not a Google Consent Mode v2 type", at);
        if (std::find(p.consent_mode.begin(), p.consent_mode.end(), v.get<std::string>()) != p.consent_mode.end())
            return make_error("notice.duplicate_consent_mode_type", "consent mode type listed twice", at);
        p.consent_mode.push_back(v.get<std::string>());
    }
    return Unit{};
}

Status parse_services(const json* list, const std::string& path, Purpose& p) {
    if (list == nullptr) return Unit{};
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto s = parse_service((*list)[i], json_pointer_append(path, i));
        if (!s) return s.error();
        p.services.push_back(std::move(s).value());
    }
    // GDPR Art. 13(1)(e): a visitor asked to consent is told who receives the data.
    if (!p.is_necessary() && p.services.empty())
        return make_error("notice.missing_services",
                          "a consent purpose must name the services (and providers) that process the data", path);
    return Unit{};
}

Result<LegalBasis> parse_legal_basis(FieldReader& r) {
    const std::string basis = r.string("legal_basis", 32);
    if (!r.ok()) return r.error();
    if (basis == "consent") return LegalBasis::consent;
    if (basis == "necessary") return LegalBasis::necessary;
    return make_error("notice.unsupported_legal_basis", "legal_basis must be \"consent\" or \"necessary\"",
                      r.path_of("legal_basis"));
}

Result<Purpose> parse_purpose(const json& j, const std::string& path, const std::vector<std::string>& languages) {
    if (j.is_object()) {
        if (auto pre = reject_precheck(j, path); !pre) return pre.error();
    }
    FieldReader r(j, path, "notice");
    r.reject_unknown({"id", "legal_basis", "texts", "services", "consent_mode", "sale_or_sharing", "max_age_days",
                      "refusal_max_age_days", "dpv"});
    Purpose p;
    p.id = r.string("id", 40);
    if (r.ok() && !is_purpose_id(p.id))
        r.fail("invalid_purpose_id", "purpose id must match [a-z][a-z0-9_]*", r.path_of("id"));
    if (!r.ok()) return r.error();
    auto basis = parse_legal_basis(r);
    if (!basis) return basis.error();
    p.legal_basis = *basis;
    p.sale_or_sharing = r.boolean_or("sale_or_sharing", false);
    p.max_age_days = r.integer_or("max_age_days", 1, kMaxCookieLifetimeDays, kDefaultMaxAgeDays);
    // A refusal is kept as long as a consent unless configured otherwise (CNIL 2020).
    p.refusal_max_age_days = r.integer_or("refusal_max_age_days", 1, kMaxCookieLifetimeDays, p.max_age_days);
    p.dpv = r.optional_string("dpv", kMaxUrl);
    const json* texts = r.object("texts", true);
    const json* services = r.array("services", !p.is_necessary());
    const json* modes = r.array("consent_mode", false);
    if (!r.ok()) return r.error();
    if (p.is_necessary() && p.sale_or_sharing)
        return make_error("notice.necessary_sale", "selling or sharing data is never strictly necessary",
                          r.path_of("sale_or_sharing"));
    if (auto s = parse_texts(*texts, r.path_of("texts"), languages, p.texts, parse_purpose_text); !s) return s.error();
    if (auto s = parse_services(services, r.path_of("services"), p); !s) return s.error();
    if (auto s = parse_consent_mode(modes, r.path_of("consent_mode"), p); !s) return s.error();
    return p;
}

Result<Controller> parse_controller(const json& j, const std::string& path) {
    FieldReader r(j, path, "notice");
    r.reject_unknown({"name", "contact", "address"});
    Controller c;
    c.name = r.string("name", kMaxName);
    c.contact = r.string("contact", kMaxName);
    c.address = r.optional_string("address", 500);
    if (!r.ok()) return r.error();
    return c;
}

Result<NoticeText> parse_notice_text_block(const json& j, const std::string& path) {
    FieldReader r(j, path, "notice");
    r.reject_unknown({"title", "body", "labels"});
    NoticeText t;
    t.title = r.string("title", kMaxTitle);
    t.body = r.string("body", kMaxBody);
    const json* labels = r.object("labels", false);
    if (!r.ok()) return r.error();
    if (labels == nullptr) return t;
    for (auto it = labels->begin(); it != labels->end(); ++it) {
        const std::string at = json_pointer_append(r.path_of("labels"), it.key());
        if (!is_label_key(it.key())) return make_error("notice.unknown_label", "unknown label", at);
        if (!it->is_string() || it->get_ref<const std::string&>().empty() ||
            it->get_ref<const std::string&>().size() > 80)
            return make_error("notice.invalid_label", "a label must be a string of 1 to 80 bytes", at);
        t.labels.emplace(it.key(), it->get<std::string>());
    }
    return t;
}

Status parse_languages(const json* list, const std::string& path, std::vector<std::string>& out) {
    if (list->empty()) return make_error("notice.no_language", "at least one language is required", path);
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& v = (*list)[i];
        const std::string at = json_pointer_append(path, i);
        if (!v.is_string() || !is_language_tag(v.get<std::string>()))
            return make_error("notice.invalid_language", "languages must be BCP 47 tags such as \"en\" or \"pt-BR\"",
                              at);
        if (std::find(out.begin(), out.end(), v.get<std::string>()) != out.end())
            return make_error("notice.duplicate_language", "language listed twice", at);
        out.push_back(v.get<std::string>());
    }
    return Unit{};
}

Status parse_purposes(const json* list, const std::string& path, Notice& n) {
    if (list->empty() || list->size() > kMaxPurposes)
        return make_error("notice.purpose_count", "a notice has between 1 and 64 purposes", path);
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto p = parse_purpose((*list)[i], json_pointer_append(path, i), n.languages);
        if (!p) return p.error();
        if (n.find_purpose(p->id) != nullptr)
            return make_error("notice.duplicate_purpose", "purpose id \"" + p->id + "\" is used twice",
                              json_pointer_append(json_pointer_append(path, i), "id"));
        n.purposes.push_back(std::move(p).value());
    }
    return Unit{};
}

Status parse_header(FieldReader& r, Notice& n) {
    r.reject_unknown({"notice_id", "version", "material", "controller", "policy_url", "jurisdiction", "languages",
                      "texts", "purposes"});
    n.notice_id = r.string("notice_id", 64);
    if (r.ok() && !is_notice_id(n.notice_id))
        r.fail("invalid_notice_id", "notice_id must match [a-z0-9][a-z0-9_-]*", r.path_of("notice_id"));
    n.version = r.integer("version", 1, 2147483647);
    // Explicit on purpose: whether everyone is asked again is never a default.
    n.material = r.boolean("material");
    n.policy_url = r.string("policy_url", kMaxUrl);
    if (r.ok() && !is_web_url(n.policy_url))
        r.fail("invalid_url", "policy_url must be an https URL", r.path_of("policy_url"));
    n.jurisdiction = r.optional_string("jurisdiction", 16);
    if (!r.ok()) return r.error();
    return Unit{};
}

}  // namespace

Result<Notice> parse_notice(const json& j) {
    FieldReader r(j, "", "notice");
    Notice n;
    if (auto s = parse_header(r, n); !s) return s.error();
    const json* controller = r.object("controller", true);
    const json* languages = r.array("languages", true);
    const json* texts = r.object("texts", true);
    const json* purposes = r.array("purposes", true);
    if (!r.ok()) return r.error();
    auto c = parse_controller(*controller, "/controller");
    if (!c) return c.error();
    n.controller = std::move(c).value();
    if (auto s = parse_languages(languages, "/languages", n.languages); !s) return s.error();
    if (auto s = parse_texts(*texts, "/texts", n.languages, n.texts, parse_notice_text_block); !s) return s.error();
    if (auto s = parse_purposes(purposes, "/purposes", n); !s) return s.error();
    return n;
}

Result<Notice> parse_notice_text(std::string_view json_text) {
    auto parsed = parse_json_strict(json_text);
    if (!parsed) return parsed.error();
    return parse_notice(*parsed);
}

}  // namespace consent
