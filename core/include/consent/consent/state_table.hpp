// StateTable: every subject's state of one site and the notice in force, the
// whole of what a backend's local mirror needs to answer "may I use this
// subject's data for this purpose now?" without a round trip.
//
// It lives in the core so that every mirror (the C++ client natively, the
// Python client through the shared library's C boundary) folds receipts and
// answers with the same code as consentd's checks, and decides in one place
// which receipts a backend must acknowledge. Pure: the caller passes the time
// and guards the table with its own lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"

namespace consent {

// A receipt a backend applied must be acknowledged (as evidence that it
// stopped) when it is a withdrawal, even one that changed nothing here (the
// operator view counts every withdrawal), or when it ends a grant this
// subject had.
[[nodiscard]] bool must_acknowledge(Method method, const SubjectState& before, const SubjectState& after);

class StateTable {
public:
    void set_notice(Notice notice, std::int64_t last_material_version);
    [[nodiscard]] bool has_notice() const noexcept { return notice_.has_value(); }
    [[nodiscard]] std::int64_t notice_version() const noexcept { return notice_ ? notice_->notice.version : 0; }

    // A snapshot row: the subject's state as consentd folded it.
    void put_state(const std::string& subject, SubjectState state);
    // One receipt, in log order; true when the backend must acknowledge it.
    bool apply(const std::string& subject, const Decision& decision, std::int64_t decided_at,
               const std::string& receipt_id);
    // The subject was erased (an erasure event, issue #13): nothing of it is
    // kept, so it answers as one never seen (no_decision), as consentd's checks
    // do. True when the table held it.
    bool forget(const std::string& subject) { return subjects_.erase(subject) > 0; }
    void clear() noexcept { subjects_.clear(); }

    // Denied with reason no_decision for an unknown subject; no notice yet is
    // the caller's to handle (a mirror that has loaded nothing is stale). The
    // subject is a std::string: C++17's unordered_map has no lookup by
    // string_view, and a copy of every id asked (24 bytes, past the short-string
    // buffer) was a heap allocation per check on a mirror's hot path.
    [[nodiscard]] Verdict verdict(const std::string& subject, std::string_view purpose, std::int64_t now) const;
    [[nodiscard]] std::size_t subjects() const noexcept { return subjects_.size(); }

private:
    struct CurrentNotice {
        Notice notice;
        std::int64_t last_material_version = 1;
    };
    // Heterogeneous lookup needs C++20; a check builds its key once instead.
    std::unordered_map<std::string, SubjectState> subjects_;
    std::optional<CurrentNotice> notice_;
};

}  // namespace consent
