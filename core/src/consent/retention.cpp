#include "consent/consent/retention.hpp"

#include <algorithm>
#include <limits>

#include "consent/base/checked_int.hpp"

namespace consent {
namespace {

// A time that does not fit keeps the subject: retention must never erase early
// because a stored number was out of range.
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

}  // namespace

std::int64_t in_force_until(const Notice& notice, const SubjectState& state) {
    std::int64_t until = -1;
    for (const auto& [purpose, record] : state) {
        const Purpose* p = notice.find_purpose(purpose);
        // A refusal is relied on as long as a grant would be (CNIL 2020): the grant's age, whatever the state.
        const std::int64_t days = p == nullptr ? 0 : p->max_age_days;
        const auto age = checked_mul(days, kSecondsPerDay);
        const auto end = age ? checked_add(record.decided_at, *age) : std::nullopt;
        until = std::max(until, end.value_or(kForever));
    }
    return until;
}

bool retention_due(const Notice& notice, const SubjectState& state, std::int64_t keep_seconds, std::int64_t now) {
    if (state.empty() || keep_seconds < 0) return false;
    const std::int64_t until = in_force_until(notice, state);
    if (until == kForever) return false;
    const auto due_at = checked_add(until, keep_seconds);
    return due_at && now >= *due_at;
}

}  // namespace consent
