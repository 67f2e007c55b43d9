#include "consent/consent/retention.hpp"

#include <algorithm>

namespace consent {

std::int64_t in_force_until(const Notice& notice, const SubjectState& state) {
    std::int64_t until = -1;
    for (const auto& [purpose, record] : state) {
        const Purpose* p = notice.find_purpose(purpose);
        const std::int64_t days = p == nullptr ? 0 : p->max_age_days;
        until = std::max(until, record.decided_at + days * kSecondsPerDay);
    }
    return until;
}

bool retention_due(const Notice& notice, const SubjectState& state, std::int64_t keep_seconds, std::int64_t now) {
    if (state.empty()) return false;
    return now >= in_force_until(notice, state) + keep_seconds;
}

}  // namespace consent
