// The core's StateTable behind a C boundary, for mirrors in languages that
// load the core as a library: Python's ctypes (libconsent_core_c.so) and
// Node (consent-mirror.wasm, the same file built by Emscripten). A check
// crosses as two strings and a time and comes back as one int, so answering
// from memory costs a foreign call, not a JSON round trip (issue #15: Python's
// and Node's mirror check < 10 µs); the states live here, in the core's own
// types, not as Python or JavaScript objects.
//
// Loading and following (set_notice, put_state, apply) take JSON, the shapes
// consentd's snapshot and event stream send. Each answers NULL on success or a
// malloc'd error envelope ({"ok":false,"error":{…}}) for consent_free.
// A table is guarded by its own lock: ctypes lets go of the GIL during a
// call, so the mirror's follower and its callers meet here.
//
// Nothing here needs C++ exceptions (the wasm build has none, which keeps its
// calls free of exception trampolines): JSON is parsed without throwing and
// every member is looked up before it is read.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/consent/state_json.hpp"
#include "consent/consent/state_table.hpp"

#define CONSENT_C_EXPORT extern "C" __attribute__((visibility("default")))

struct consent_table {
    std::shared_mutex mutex;
    consent::StateTable table;
};

namespace {

using nlohmann::json;

// The reasons a check can answer, by number (add at the end, never reorder).
// The core's own constants (string literals, so .data() is NUL-terminated).
namespace reason = consent::reason;
constexpr std::string_view kReasons[] = {reason::necessary,   reason::granted,        reason::unknown_purpose,
                                         reason::no_decision, reason::denied,         reason::withdrawn,
                                         reason::expired,     reason::notice_changed, reason::gpc,
                                         reason::first_visit, reason::new_purpose,    reason::up_to_date};
constexpr int kReasonCount = static_cast<int>(sizeof kReasons / sizeof kReasons[0]);
constexpr int kAllowedBit = 0x100;
constexpr int kUnlistedReason = 0xff;  // a reason this table does not list: denied all the same

char* copy_out(const std::string& text) {
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

char* error_out(const std::string& code, const std::string& message) {
    return copy_out(json{{"ok", false}, {"error", {{"code", code}, {"message", message}}}}.dump());
}

char* error_out(const consent::Error& e) { return error_out(e.code, e.message); }

int reason_number(std::string_view reason) {
    for (int i = 0; i < kReasonCount; ++i)
        if (reason == kReasons[i]) return i;
    return kUnlistedReason;
}

// A malformed argument is the caller's error, never a crash across the boundary.
// With exceptions (the native library), whatever still throws (an allocation
// failing) becomes an error too; without them (wasm), nothing below throws.
template <typename F>
char* guarded(F&& body) {
#if defined(__cpp_exceptions)
    try {
        return body();
    } catch (const std::exception& e) {
        return error_out("api.invalid_input", e.what());
    }
#else
    return body();
#endif
}

// Text that is not JSON parses as discarded instead of throwing.
json parse_text(const char* text) { return json::parse(text ? text : "", nullptr, false); }

// A member of an object, or nullptr (a const json's operator[] on a missing key is undefined).
const json* member(const json& value, const char* key) {
    if (!value.is_object()) return nullptr;
    const auto it = value.find(key);
    return it == value.end() ? nullptr : &*it;
}

}  // namespace

CONSENT_C_EXPORT consent_table* consent_table_new(void) { return new (std::nothrow) consent_table(); }

CONSENT_C_EXPORT void consent_table_free(consent_table* table) { delete table; }

// {"notice": {…}, "version": N, "last_material_version": M}: a snapshot page's or a notice event's.
CONSENT_C_EXPORT char* consent_table_set_notice(consent_table* table, const char* notice_json) {
    return guarded([&]() -> char* {
        const json value = parse_text(notice_json);
        const json* notice_value = member(value, "notice");
        const json* last_material = member(value, "last_material_version");
        if (notice_value == nullptr || last_material == nullptr || !last_material->is_number_integer())
            return error_out("api.invalid_input", "a notice needs notice and last_material_version");
        auto notice = consent::parse_notice(*notice_value);
        if (!notice) return error_out(notice.error());
        std::unique_lock<std::shared_mutex> lock(table->mutex);
        table->table.set_notice(std::move(notice).value(), last_material->get<std::int64_t>());
        return nullptr;
    });
}

// One snapshot row: the subject's state as consentd folded it.
CONSENT_C_EXPORT char* consent_table_put_state(consent_table* table, const char* subject, const char* state_json) {
    return guarded([&]() -> char* {
        const json value = parse_text(state_json);
        if (value.is_discarded()) return error_out("api.invalid_input", "a state is JSON");
        auto state = consent::parse_subject_state(value);
        if (!state) return error_out(state.error());
        std::unique_lock<std::shared_mutex> lock(table->mutex);
        table->table.put_state(subject ? subject : "", std::move(state).value());
        return nullptr;
    });
}

CONSENT_C_EXPORT void consent_table_clear(consent_table* table) {
    std::unique_lock<std::shared_mutex> lock(table->mutex);
    table->table.clear();
}

// An erased subject (an erasure event's "subjects", one by one): forgotten, so
// it answers no_decision. Returns 1 when the table held it, 0 if not.
CONSENT_C_EXPORT int consent_table_forget(consent_table* table, const char* subject) {
    std::unique_lock<std::shared_mutex> lock(table->mutex);
    return table->table.forget(subject ? subject : "") ? 1 : 0;
}

// A receipt event's data ({"subject","decision","server_time","receipt_id",…}), in log order.
// *acknowledge is set to 1 when the backend must acknowledge it, else 0.
CONSENT_C_EXPORT char* consent_table_apply(consent_table* table, const char* receipt_json, int* acknowledge) {
    return guarded([&]() -> char* {
        const json data = parse_text(receipt_json);
        const json* decision_value = member(data, "decision");
        const json* subject = member(data, "subject");
        const json* receipt_id = member(data, "receipt_id");
        const json* server_time = member(data, "server_time");
        if (decision_value == nullptr || subject == nullptr || !subject->is_string() || receipt_id == nullptr ||
            !receipt_id->is_string() || server_time == nullptr || !server_time->is_number_integer())
            return error_out("api.invalid_input", "a receipt needs subject, decision, server_time and receipt_id");
        auto decision = consent::parse_decision(*decision_value);
        if (!decision) return error_out(decision.error());
        std::unique_lock<std::shared_mutex> lock(table->mutex);
        const bool must = table->table.apply(subject->get<std::string>(), *decision, server_time->get<std::int64_t>(),
                                             receipt_id->get<std::string>());
        if (acknowledge != nullptr) *acknowledge = must ? 1 : 0;
        return nullptr;
    });
}

// The answer as one int: kAllowedBit | the reason's number (consent_reason_name).
// With receipt_out, the receipt the answer rests on is copied there (NUL-terminated,
// cut to capacity; "" when none).
CONSENT_C_EXPORT int consent_table_check(consent_table* table, const char* subject, const char* purpose,
                                         std::int64_t now, char* receipt_out, std::size_t capacity) {
    consent::Verdict verdict;
    {
        std::shared_lock<std::shared_mutex> lock(table->mutex);
        if (!table->table.has_notice()) return reason_number(reason::no_decision);
        verdict = table->table.verdict(subject ? subject : "", purpose ? purpose : "", now);
    }
    if (receipt_out != nullptr && capacity > 0) {
        const std::size_t n = std::min(verdict.receipt_id.size(), capacity - 1);
        std::memcpy(receipt_out, verdict.receipt_id.data(), n);
        receipt_out[n] = '\0';
    }
    return (verdict.allowed ? kAllowedBit : 0) | reason_number(verdict.reason);
}

CONSENT_C_EXPORT std::size_t consent_table_subjects(consent_table* table) {
    std::shared_lock<std::shared_mutex> lock(table->mutex);
    return table->table.subjects();
}

CONSENT_C_EXPORT std::int64_t consent_table_notice_version(consent_table* table) {
    std::shared_lock<std::shared_mutex> lock(table->mutex);
    return table->table.notice_version();
}

// The name of a reason number from consent_table_check, or NULL past the end.
CONSENT_C_EXPORT const char* consent_reason_name(int number) {
    return number >= 0 && number < kReasonCount ? kReasons[number].data() : nullptr;
}
