#include "consent/consent/notice.hpp"

#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"

namespace consent {
namespace {

using json = Json;

json purpose_texts_to_json(const std::map<std::string, PurposeText>& texts) {
    json out = json::object();
    for (const auto& [lang, t] : texts) out[lang] = {{"title", t.title}, {"description", t.description}};
    return out;
}

json service_to_json(const Service& s) {
    json cookies = json::array();
    for (const auto& c : s.cookies) cookies.push_back({{"name", c.name}, {"lifetime_days", c.lifetime_days}});
    json out = {{"name", s.name}, {"provider", s.provider}, {"third_party", s.third_party}, {"cookies", cookies}};
    if (s.privacy_url) out["privacy_url"] = *s.privacy_url;
    return out;
}

json purpose_to_json(const Purpose& p) {
    json services = json::array();
    for (const auto& s : p.services) services.push_back(service_to_json(s));
    json out = {{"id", p.id},
                {"legal_basis", std::string(to_string(p.legal_basis))},
                {"texts", purpose_texts_to_json(p.texts)},
                {"services", services},
                {"consent_mode", p.consent_mode},
                {"sale_or_sharing", p.sale_or_sharing},
                {"max_age_days", p.max_age_days},
                {"refusal_max_age_days", p.refusal_max_age_days}};
    if (p.dpv) out["dpv"] = *p.dpv;
    return out;
}

json notice_texts_to_json(const std::map<std::string, NoticeText>& texts) {
    json out = json::object();
    for (const auto& [lang, t] : texts) {
        json entry = {{"title", t.title}, {"body", t.body}};
        if (!t.labels.empty()) entry["labels"] = t.labels;
        out[lang] = entry;
    }
    return out;
}

}  // namespace

std::string_view to_string(LegalBasis basis) noexcept {
    return basis == LegalBasis::necessary ? "necessary" : "consent";
}

const Purpose* Notice::find_purpose(std::string_view id) const noexcept {
    for (const auto& p : purposes)
        if (p.id == id) return &p;
    return nullptr;
}

json notice_to_json(const Notice& n) {
    json controller = {{"name", n.controller.name}, {"contact", n.controller.contact}};
    if (n.controller.address) controller["address"] = *n.controller.address;
    json purposes = json::array();
    for (const auto& p : n.purposes) purposes.push_back(purpose_to_json(p));
    json out = {{"notice_id", n.notice_id},
                {"version", n.version},
                {"material", n.material},
                {"controller", controller},
                {"policy_url", n.policy_url},
                {"languages", n.languages},
                {"texts", notice_texts_to_json(n.texts)},
                {"purposes", purposes}};
    if (n.jurisdiction) out["jurisdiction"] = *n.jurisdiction;
    return out;
}

std::string notice_content_hash(const Notice& n) {
    // notice_to_json holds only strings, booleans and integers, all of which
    // canonicalize without error; a failure here would be a bug in the core.
    auto canonical = canonicalize(notice_to_json(n));
    return hex_encode(sha256(canonical ? *canonical : std::string()));
}

std::int64_t last_material_version(const std::vector<Notice>& versions, std::int64_t current) {
    std::int64_t last = 1;
    for (const auto& v : versions)
        if (v.material && v.version <= current && v.version > last) last = v.version;
    return last;
}

}  // namespace consent
