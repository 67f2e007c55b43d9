#include "consent/consent/state_json.hpp"

#include "consent/consent/text_rules.hpp"
#include "consent/json/field_reader.hpp"

namespace consent {
namespace {

using json = Json;

constexpr std::int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

Result<PurposeRecord> parse_record(const json& j, const std::string& path) {
    FieldReader r(j, path, "state");
    r.reject_unknown({"state", "method", "notice_id", "notice_version", "decided_at", "receipt_id"});
    PurposeRecord rec;
    const std::string state = r.string("state", 16);
    const std::string method = r.string("method", 32);
    rec.notice_id = r.string("notice_id", 64);
    rec.notice_version = r.integer("notice_version", 1, 2147483647);
    rec.decided_at = r.integer("decided_at", 0, kMaxSeconds);
    if (r.has("receipt_id")) {
        const json& id = j.at("receipt_id");
        if (!id.is_string()) r.fail("wrong_type", "\"receipt_id\" must be a string", r.path_of("receipt_id"));
        else rec.receipt_id = id.get<std::string>();
    }
    if (!r.ok()) return r.error();
    if (state != "granted" && state != "denied")
        return make_error("state.invalid_state", "state is \"granted\" or \"denied\"", r.path_of("state"));
    rec.state = state == "granted" ? PurposeState::granted : PurposeState::denied;
    auto m = method_from_string(method);
    if (!m) return make_error("state.unknown_method", "unknown method", r.path_of("method"));
    rec.method = *m;
    return rec;
}

}  // namespace

json subject_state_to_json(const SubjectState& state) {
    json out = json::object();
    for (const auto& [purpose, r] : state) {
        out[purpose] = {{"state", std::string(to_string(r.state))},
                        {"method", std::string(to_string(r.method))},
                        {"notice_id", r.notice_id},
                        {"notice_version", r.notice_version},
                        {"decided_at", r.decided_at},
                        {"receipt_id", r.receipt_id}};
    }
    return out;
}

Result<SubjectState> parse_subject_state(const json& j) {
    if (auto s = expect_object(j, "", "state"); !s) return s.error();
    SubjectState state;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string path = json_pointer_append("", it.key());
        if (!is_purpose_id(it.key())) return make_error("state.invalid_purpose_id", "not a purpose id", path);
        auto rec = parse_record(*it, path);
        if (!rec) return rec.error();
        state.emplace(it.key(), std::move(rec).value());
    }
    return state;
}

json verdict_to_json(const Verdict& v) {
    json out = {{"allowed", v.allowed}, {"reason", v.reason}};
    out["receipt_id"] = v.receipt_id.empty() ? json(nullptr) : json(v.receipt_id);
    return out;
}

json prompt_verdict_to_json(const PromptVerdict& v) {
    return {{"needed", v.needed}, {"reason", v.reason}, {"purposes", v.purposes}};
}

}  // namespace consent
