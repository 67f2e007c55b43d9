#include "storage/recorded_decision.hpp"

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"

namespace consent::server {

Status fold_recorded_decision(SubjectState& state, std::string_view decision_json, std::int64_t server_time,
                              const std::string& receipt_id) {
    auto json = parse_json_strict(decision_json);
    if (!json) return make_error("storage.corrupt_row", "a receipt's decision is not valid JSON");
    auto decision = parse_decision(*json);
    if (!decision)
        return make_error("storage.corrupt_row", "a receipt's decision does not parse: " + decision.error().code);
    apply_decision(state, *decision, server_time, receipt_id);
    return Unit{};
}

}  // namespace consent::server
