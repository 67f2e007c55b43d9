#include "consent/banner/banner_view.hpp"

#include "consent/banner/labels.hpp"

namespace consent {
namespace {

using json = Json;

std::string to_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// One RFC 4647 lookup step: the notice language equal to tag, ignoring case.
const std::string* find_language(const Notice& notice, const std::string& tag) {
    for (const auto& lang : notice.languages)
        if (to_lower(lang) == to_lower(tag)) return &lang;
    return nullptr;
}

PurposeView purpose_view(const PolicyContext& ctx, const Purpose& p, const std::string& lang,
                         const SubjectState& state) {
    PurposeView v;
    v.id = p.id;
    v.title = p.texts.at(lang).title;
    v.description = p.texts.at(lang).description;
    v.necessary = p.is_necessary();
    v.gpc_locked = ctx.gpc && p.sale_or_sharing;
    v.toggleable = !v.necessary && !v.gpc_locked;
    v.checked = v.necessary || (!v.gpc_locked && is_allowed(ctx, p.id, state).allowed);
    for (const auto& s : p.services) v.services.push_back({s.name, s.provider, s.third_party, s.cookies});
    return v;
}

json purpose_view_to_json(const PurposeView& p) {
    json services = json::array();
    for (const auto& s : p.services) {
        json cookies = json::array();
        for (const auto& c : s.cookies) cookies.push_back({{"name", c.name}, {"lifetime_days", c.lifetime_days}});
        services.push_back(
            {{"name", s.name}, {"provider", s.provider}, {"third_party", s.third_party}, {"cookies", cookies}});
    }
    return {{"id", p.id},
            {"title", p.title},
            {"description", p.description},
            {"necessary", p.necessary},
            {"toggleable", p.toggleable},
            {"checked", p.checked},
            {"gpc_locked", p.gpc_locked},
            {"services", services}};
}

}  // namespace

std::string choose_language(const Notice& notice, const std::vector<std::string>& preferred) {
    for (const auto& wanted : preferred) {
        std::string tag = wanted;
        while (!tag.empty()) {
            if (const std::string* found = find_language(notice, tag)) return *found;
            const auto dash = tag.rfind('-');
            tag = dash == std::string::npos ? std::string() : tag.substr(0, dash);
        }
    }
    return notice.default_language();
}

BannerView banner_view(const PolicyContext& ctx, const std::vector<std::string>& preferred_languages,
                       const SubjectState& state) {
    const Notice& n = ctx.notice;
    BannerView v;
    v.language = choose_language(n, preferred_languages);
    v.dir = std::string(text_direction(v.language));
    const NoticeText& text = n.texts.at(v.language);
    v.title = text.title;
    v.body = text.body;
    for (const auto& key : label_keys()) {
        const auto custom = text.labels.find(key);
        v.labels[key] = custom != text.labels.end() ? custom->second : builtin_label(v.language, key);
    }
    v.controller_name = n.controller.name;
    v.controller_contact = n.controller.contact;
    v.policy_url = n.policy_url;
    v.prompt = needs_prompt(ctx, state).needed;
    for (const auto& p : n.purposes) {
        v.purposes.push_back(purpose_view(ctx, p, v.language, state));
        v.gpc_applied = v.gpc_applied || v.purposes.back().gpc_locked;
    }
    return v;
}

json banner_view_to_json(const BannerView& v) {
    json purposes = json::array();
    for (const auto& p : v.purposes) purposes.push_back(purpose_view_to_json(p));
    return {
        {"language", v.language},     {"dir", v.dir},
        {"title", v.title},           {"body", v.body},
        {"labels", v.labels},         {"controller", {{"name", v.controller_name}, {"contact", v.controller_contact}}},
        {"policy_url", v.policy_url}, {"gpc_applied", v.gpc_applied},
        {"prompt", v.prompt},         {"purposes", purposes}};
}

}  // namespace consent
