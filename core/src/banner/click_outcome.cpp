#include "consent/banner/click_outcome.hpp"

#include "consent/banner/consent_mode.hpp"

namespace consent {

Result<ClickOutcome> click_outcome(const PolicyContext& ctx, const std::string& notice_hash, const SubjectState& state,
                                   const ClickRecord& record) {
    // Only what make_decision reads: the notice it names and what the click records.
    DecisionRequest request;
    request.notice_id = ctx.notice.notice_id;
    request.notice_version = ctx.notice.version;
    request.notice_hash = notice_hash;
    // Which of the notice's languages was shown changes nothing that is allowed.
    if (!ctx.notice.languages.empty()) request.language = ctx.notice.languages.front();
    request.method = record.method;
    request.choices = record.choices;
    request.withdraw = record.purposes;
    auto decision = make_decision(ctx.notice, notice_hash, request);
    if (!decision) return decision.error();
    SubjectState after = state;
    apply_decision(after, *decision, ctx.now, "");
    ClickOutcome out;
    for (const auto& p : ctx.notice.purposes) out.allowed[p.id] = is_allowed(ctx, p.id, after).allowed;
    out.consent_mode = consent_mode_state(ctx, after);
    return out;
}

}  // namespace consent
