#include "consent/banner/click.hpp"

namespace consent {
namespace {

// The purposes a visitor can switch: consent purposes not held off by GPC.
std::vector<std::string> choosable(const PolicyContext& ctx) {
    std::vector<std::string> out;
    for (const auto& p : ctx.notice.purposes)
        if (!p.is_necessary() && !(ctx.gpc && p.sale_or_sharing)) out.push_back(p.id);
    return out;
}

bool switched_to(const std::map<std::string, bool>& saved, const std::string& id, bool on) {
    const auto it = saved.find(id);
    return it != saved.end() && it->second == on;
}

}  // namespace

ClickRecord click_record(const PolicyContext& ctx, const SubjectState& state, Click click,
                         const std::map<std::string, bool>& saved) {
    ClickRecord r;
    const auto ids = choosable(ctx);
    if (ctx.gpc) {
        r.method = Method::gpc;
        for (const auto& id : ids) {
            if (click == Click::save) {
                if (const auto it = saved.find(id); it != saved.end()) r.choices[id] = it->second;
            } else {
                r.choices[id] = click == Click::accept;
            }
        }
        return r;
    }
    if (click == Click::accept) r.method = Method::accept_all;
    if (click == Click::reject) r.method = Method::reject_all;
    if (click != Click::save) return r;
    std::vector<std::string> turned_off;
    bool turned_on = false;
    for (const auto& id : ids) {
        const bool allowed = is_allowed(ctx, id, state).allowed;
        if (allowed && switched_to(saved, id, false)) turned_off.push_back(id);
        if (!allowed && switched_to(saved, id, true)) turned_on = true;
    }
    if (!turned_off.empty() && !turned_on) {
        r.method = Method::withdraw;
        r.purposes = turned_off;
        return r;
    }
    r.method = Method::custom;
    for (const auto& id : ids)
        if (const auto it = saved.find(id); it != saved.end()) r.choices[id] = it->second;
    return r;
}

}  // namespace consent
