// A receipt row's decision column (RFC 8785 JSON of decision_to_json) folded
// into a subject's state by the core (apply_decision): what every reader of
// both stores does that rebuilds state from receipts (rebuild_check, the
// snapshot, an erasure refolding what stays).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"

namespace consent::server {

// storage.corrupt_row when the column is not a decision the core reads.
Status fold_recorded_decision(SubjectState& state, std::string_view decision_json, std::int64_t server_time,
                              const std::string& receipt_id);

}  // namespace consent::server
