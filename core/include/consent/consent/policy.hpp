// Policy: may this subject's data be used for this purpose right now, and must
// the banner ask again? The only place these rules live; the server's checks
// and the banner both call them.
//
// A purpose is allowed only with an explicit grant, on a notice version not
// superseded by a material change, not expired, not withdrawn later, and not
// blocked by Global Privacy Control when it is a sale/sharing purpose.
// Necessary purposes are always allowed. Anything unknown is denied.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"

namespace consent {

// The latest recorded state of one purpose for one subject.
struct PurposeRecord {
    PurposeState state = PurposeState::denied;
    Method method = Method::reject_all;
    std::string notice_id;
    std::int64_t notice_version = 0;
    std::int64_t decided_at = 0;  // seconds since the Unix epoch, server time
    std::string receipt_id;       // which receipt proves it ("" before the server answered)
};

// Per purpose id. Derived from the receipts alone, so it can always be rebuilt.
using SubjectState = std::map<std::string, PurposeRecord>;

// Folds one decision into the state: the later decision wins for every purpose
// it names. Decisions must be applied in the order they were recorded.
void apply_decision(SubjectState& state, const Decision& decision, std::int64_t decided_at,
                    const std::string& receipt_id);

// What a check must go by while decisions of the subject are still being
// written (received, not yet durable): each purpose one of them denies (a
// rejection, a withdrawal) reads as denied at once, from the moment the server
// has the decision, so that a withdrawal stops processing now rather than
// after its commit. What they grant counts only once durable: a grant whose
// write then fails must never have been acted on. Denials carry no receipt id
// yet. `in_flight` in the order received.
[[nodiscard]] SubjectState with_pending_denials(const SubjectState& committed, const std::vector<Decision>& in_flight,
                                                std::int64_t now);

struct PolicyContext {
    const Notice& notice;                // the current version
    std::int64_t last_material_version;  // see last_material_version()
    std::int64_t now;                    // seconds since the Unix epoch
    bool gpc = false;                    // Global Privacy Control seen on this request
};

// Stable reason codes (add, never rename).
namespace reason {
inline constexpr std::string_view necessary = "necessary";
inline constexpr std::string_view granted = "granted";
inline constexpr std::string_view unknown_purpose = "unknown_purpose";
inline constexpr std::string_view no_decision = "no_decision";
inline constexpr std::string_view denied = "denied";
inline constexpr std::string_view withdrawn = "withdrawn";
inline constexpr std::string_view expired = "expired";
inline constexpr std::string_view notice_changed = "notice_changed";
inline constexpr std::string_view gpc = "gpc";
inline constexpr std::string_view first_visit = "first_visit";
inline constexpr std::string_view new_purpose = "new_purpose";
inline constexpr std::string_view up_to_date = "up_to_date";
}  // namespace reason

struct Verdict {
    bool allowed = false;
    std::string reason;
    std::string receipt_id;  // the receipt the answer rests on, when there is one
};

[[nodiscard]] Verdict is_allowed(const PolicyContext& ctx, std::string_view purpose_id, const SubjectState& state);

struct PromptVerdict {
    bool needed = false;
    std::string reason;                 // the first reason found, in notice order
    std::vector<std::string> purposes;  // the consent purposes that need a fresh answer
};

[[nodiscard]] PromptVerdict needs_prompt(const PolicyContext& ctx, const SubjectState& state);

inline constexpr std::int64_t kSecondsPerDay = 86400;

}  // namespace consent
