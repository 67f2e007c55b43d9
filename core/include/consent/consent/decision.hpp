// A decision: what one subject chose, at one moment, about one notice version.
//
// The banner (or a backend) sends a DecisionRequest; make_decision() checks it
// against the exact notice version shown and expands it into one explicit state
// per purpose, so that no record ever bundles purposes (EDPB 05/2020 §3.1.3).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"
#include "consent/consent/notice.hpp"

namespace consent {

enum class Method { accept_all, reject_all, custom, withdraw, gpc, server_withdraw };
enum class PurposeState { granted, denied };

std::string_view to_string(Method method) noexcept;
std::string_view to_string(PurposeState state) noexcept;
std::optional<Method> method_from_string(std::string_view text) noexcept;
bool is_withdrawal(Method method) noexcept;

struct DecisionContext {
    std::optional<std::string> origin;    // RFC 6454 origin of the page
    std::optional<std::string> ua_class;  // desktop | mobile | tablet | bot | other — never the raw UA
};

// What a client submits. Only the fields its method needs may be present.
struct DecisionRequest {
    std::string decision_id;  // client-made idempotency key
    std::string subject_id;
    std::string notice_id;
    std::int64_t notice_version = 0;
    std::string notice_hash;  // lowercase hex SHA-256 the client computed or was served
    std::string language;     // the language the visitor was shown
    Method method = Method::custom;
    std::map<std::string, bool> choices;  // custom and gpc: purpose -> granted?
    std::vector<std::string> withdraw;    // withdraw: purposes; empty means every consent purpose
    std::optional<std::int64_t> client_time_ms;
    DecisionContext context;
};

// The expanded, validated decision. Purposes hold every purpose of the notice,
// except for withdrawals, which name only what was withdrawn.
struct Decision {
    std::string decision_id;
    std::string subject_id;
    std::string notice_id;
    std::int64_t notice_version = 0;
    std::string notice_hash;
    std::string language;
    Method method = Method::custom;
    std::map<std::string, PurposeState> purposes;
    std::optional<std::int64_t> client_time_ms;
    DecisionContext context;
};

Result<DecisionRequest> parse_decision_request(const Json& json);

// notice is the version the request names and notice_hash its content hash.
Result<Decision> make_decision(const Notice& notice, const std::string& notice_hash, const DecisionRequest& request);

// A decision id is an idempotency key for one request only (DESIGN.md
// "Subjects and trust"): retry is a retry of recorded only if it is the same
// decision in canonical form (decision_to_json), so another subject, other
// states, another method or another client time under a used id is a conflict,
// never a replay. A server_withdraw names the notice current when it arrived,
// which the backend did not choose: its retry is the same subject, method and
// purposes, whatever notice version is current by then.
bool is_retry_of(const Decision& recorded, const Decision& retry);

Json decision_to_json(const Decision& decision);
// Reads back what decision_to_json wrote (from storage or a receipt).
Result<Decision> parse_decision(const Json& json);

}  // namespace consent
