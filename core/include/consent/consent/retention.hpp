// Retention (issue #13, docs/erasure.md): how long a subject's receipts are
// relied on. GDPR Art. 7(1) wants consent demonstrable while it is relied on,
// Art. 5(1)(e) no longer than needed; a refusal is kept as long as a grant
// would be (CNIL 2020), so a site can show it asked no sooner than allowed.
#pragma once

#include <cstdint>

#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

// The moment the subject's newest records stop being in force: for each
// purpose, its record's time plus the notice's grant maximum age (whatever
// the state); the latest of these. A purpose the notice no longer has counts
// from its record's time alone. -1 for an empty state.
std::int64_t in_force_until(const Notice& notice, const SubjectState& state);

// Whether a subject in this state is due for erasure at now, keep_seconds
// after its receipts stopped being in force.
bool retention_due(const Notice& notice, const SubjectState& state, std::int64_t keep_seconds, std::int64_t now);

}  // namespace consent
