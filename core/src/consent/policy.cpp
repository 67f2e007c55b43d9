#include "consent/consent/policy.hpp"

#include "consent/base/checked_int.hpp"

namespace consent {
namespace {

// A record counts only if it is about this notice and no material change came
// after the version it was made on (consent is specific to what was said).
bool superseded(const PolicyContext& ctx, const PurposeRecord& r) {
    return r.notice_id != ctx.notice.notice_id || r.notice_version < ctx.last_material_version;
}

// The clock, the record's time and the notice's max age all come from outside
// the core (a browser's storage, a stored row): an age or a limit that does not
// fit in 64 bits is no proof of a fresh answer, so it counts as too old.
bool too_old(const PolicyContext& ctx, const Purpose& p, const PurposeRecord& r) {
    const std::int64_t days = r.state == PurposeState::granted ? p.max_age_days : p.refusal_max_age_days;
    const auto age = checked_sub(ctx.now, r.decided_at);
    const auto limit = checked_mul(days, kSecondsPerDay);
    return !age || !limit || *age > *limit;
}

std::string_view denial_reason(const PurposeRecord& r) {
    if (is_withdrawal(r.method)) return reason::withdrawn;
    if (r.method == Method::gpc) return reason::gpc;
    return reason::denied;
}

// Why a purpose needs a fresh answer, or "" if the recorded one still holds.
std::string_view prompt_reason(const PolicyContext& ctx, const Purpose& p, const SubjectState& state) {
    // GPC is itself the answer for sale/sharing: never ask to override it.
    if (ctx.gpc && p.sale_or_sharing) return {};
    const auto it = state.find(p.id);
    if (it == state.end()) return state.empty() ? reason::first_visit : reason::new_purpose;
    if (superseded(ctx, it->second)) return reason::notice_changed;
    if (too_old(ctx, p, it->second)) return reason::expired;
    return {};
}

}  // namespace

void apply_decision(SubjectState& state, const Decision& d, std::int64_t decided_at, const std::string& receipt_id) {
    for (const auto& [purpose, value] : d.purposes)
        state[purpose] = PurposeRecord{value, d.method, d.notice_id, d.notice_version, decided_at, receipt_id};
}

SubjectState with_pending_denials(const SubjectState& committed, const std::vector<Decision>& in_flight,
                                  std::int64_t now) {
    SubjectState state = committed;
    for (const Decision& d : in_flight)
        for (const auto& [purpose, value] : d.purposes)
            if (value == PurposeState::denied)
                state[purpose] = PurposeRecord{value, d.method, d.notice_id, d.notice_version, now, {}};
    return state;
}

Verdict is_allowed(const PolicyContext& ctx, std::string_view purpose_id, const SubjectState& state) {
    const Purpose* p = ctx.notice.find_purpose(purpose_id);
    if (p == nullptr) return {false, std::string(reason::unknown_purpose), {}};
    if (p->is_necessary()) return {true, std::string(reason::necessary), {}};
    const auto it = state.find(p->id);
    if (ctx.gpc && p->sale_or_sharing)
        return {false, std::string(reason::gpc), it == state.end() ? std::string() : it->second.receipt_id};
    if (it == state.end()) return {false, std::string(reason::no_decision), {}};
    const PurposeRecord& r = it->second;
    if (r.state == PurposeState::denied) return {false, std::string(denial_reason(r)), r.receipt_id};
    if (superseded(ctx, r)) return {false, std::string(reason::notice_changed), r.receipt_id};
    if (too_old(ctx, *p, r)) return {false, std::string(reason::expired), r.receipt_id};
    return {true, std::string(reason::granted), r.receipt_id};
}

PromptVerdict needs_prompt(const PolicyContext& ctx, const SubjectState& state) {
    PromptVerdict verdict{false, std::string(reason::up_to_date), {}};
    for (const auto& p : ctx.notice.purposes) {
        if (p.is_necessary()) continue;
        const std::string_view why = prompt_reason(ctx, p, state);
        if (why.empty()) continue;
        if (!verdict.needed) verdict.reason = std::string(why);
        verdict.needed = true;
        verdict.purposes.push_back(p.id);
    }
    return verdict;
}

}  // namespace consent
