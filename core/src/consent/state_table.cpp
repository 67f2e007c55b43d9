#include "consent/consent/state_table.hpp"

#include <utility>

namespace consent {

bool must_acknowledge(Method method, const SubjectState& before, const SubjectState& after) {
    if (is_withdrawal(method)) return true;
    for (const auto& [purpose, record] : before) {
        if (record.state != PurposeState::granted) continue;
        const auto now = after.find(purpose);
        if (now == after.end() || now->second.state != PurposeState::granted) return true;
    }
    return false;
}

void StateTable::set_notice(Notice notice, std::int64_t last_material_version) {
    notice_ = CurrentNotice{std::move(notice), last_material_version};
}

void StateTable::put_state(const std::string& subject, SubjectState state) { subjects_[subject] = std::move(state); }

bool StateTable::apply(const std::string& subject, const Decision& decision, std::int64_t decided_at,
                       const std::string& receipt_id) {
    SubjectState& state = subjects_[subject];
    // Only a grant can end, so only those are kept to compare with afterwards.
    SubjectState granted_before;
    for (const auto& [purpose, record] : state)
        if (record.state == PurposeState::granted) granted_before.emplace(purpose, record);
    apply_decision(state, decision, decided_at, receipt_id);
    return must_acknowledge(decision.method, granted_before, state);
}

Verdict StateTable::verdict(const std::string& subject, std::string_view purpose, std::int64_t now) const {
    static const SubjectState kNone;
    if (!notice_) return Verdict{false, std::string(reason::no_decision), ""};
    const auto found = subjects_.find(subject);
    const PolicyContext context{notice_->notice, notice_->last_material_version, now, false};
    return is_allowed(context, purpose, found == subjects_.end() ? kNone : found->second);
}

}  // namespace consent
