#include "consent/consent/decision.hpp"

#include <algorithm>
#include <array>

#include "consent/consent/text_rules.hpp"
#include "consent/json/field_reader.hpp"

namespace consent {
namespace {

using json = Json;

constexpr std::array<std::string_view, 6> kMethodNames{"accept_all", "reject_all", "custom",
                                                       "withdraw",   "gpc",        "server_withdraw"};
constexpr std::array<std::string_view, 5> kUaClasses{"desktop", "mobile", "tablet", "bot", "other"};
constexpr std::int64_t kMaxTimeMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

Result<Method> read_method(FieldReader& r) {
    const std::string text = r.string("method", 32);
    if (!r.ok()) return r.error();
    auto m = method_from_string(text);
    if (!m) return make_error("decision.unknown_method", "unknown method \"" + text + "\"", r.path_of("method"));
    return *m;
}

Result<DecisionContext> read_context(const json* j, const std::string& path) {
    DecisionContext ctx;
    if (j == nullptr) return ctx;
    FieldReader r(*j, path, "decision");
    r.reject_unknown({"origin", "ua_class"});
    ctx.origin = r.optional_string("origin", 256);
    ctx.ua_class = r.optional_string("ua_class", 16);
    if (r.ok() && ctx.origin && !is_origin(*ctx.origin))
        r.fail("invalid_origin", "origin must be scheme://host[:port]", r.path_of("origin"));
    if (r.ok() && ctx.ua_class && std::find(kUaClasses.begin(), kUaClasses.end(), *ctx.ua_class) == kUaClasses.end())
        r.fail("invalid_ua_class", "ua_class is one of desktop, mobile, tablet, bot, other", r.path_of("ua_class"));
    if (!r.ok()) return r.error();
    return ctx;
}

Status read_choices(const json* j, const std::string& path, std::map<std::string, bool>& out) {
    if (j == nullptr) return Unit{};
    for (auto it = j->begin(); it != j->end(); ++it) {
        if (!it->is_boolean())
            return make_error("decision.wrong_type", "a choice is true or false", json_pointer_append(path, it.key()));
        out.emplace(it.key(), it->get<bool>());
    }
    return Unit{};
}

Status read_withdraw_list(const json* j, const std::string& path, std::vector<std::string>& out) {
    if (j == nullptr) return Unit{};
    for (std::size_t i = 0; i < j->size(); ++i) {
        const json& v = (*j)[i];
        if (!v.is_string())
            return make_error("decision.wrong_type", "a purpose id is a string", json_pointer_append(path, i));
        if (std::find(out.begin(), out.end(), v.get<std::string>()) != out.end())
            return make_error("decision.duplicate_purpose", "purpose listed twice", json_pointer_append(path, i));
        out.push_back(v.get<std::string>());
    }
    return Unit{};
}

// Each method carries exactly the fields it needs, so a client cannot send a
// grant that is silently ignored or a withdrawal that is silently a grant.
Status check_method_fields(const DecisionRequest& req, const FieldReader& r) {
    const bool needs_choices = req.method == Method::custom;
    const bool may_choose = needs_choices || req.method == Method::gpc;
    const bool may_list = is_withdrawal(req.method);
    if (needs_choices && !r.has("choices"))
        return make_error("decision.missing_field", "method \"custom\" needs \"choices\"", "/choices");
    if (!may_choose && r.has("choices"))
        return make_error("decision.unexpected_field", "\"choices\" is not used with this method", "/choices");
    if (!may_list && r.has("purposes"))
        return make_error("decision.unexpected_field", "\"purposes\" is only used with a withdrawal", "/purposes");
    return Unit{};
}

PurposeState state_of(bool granted) { return granted ? PurposeState::granted : PurposeState::denied; }

Status expand_choices(const Notice& notice, const DecisionRequest& req, std::map<std::string, PurposeState>& out) {
    for (const auto& [id, granted] : req.choices) {
        const Purpose* p = notice.find_purpose(id);
        const std::string at = json_pointer_append("/choices", id);
        if (p == nullptr) return make_error("decision.unknown_purpose", "no purpose \"" + id + "\" in this notice", at);
        if (p->is_necessary() && !granted)
            return make_error("decision.necessary_denied", "a necessary purpose is always on and cannot be refused",
                              at);
        if (req.method == Method::gpc && p->sale_or_sharing && granted)
            return make_error("decision.gpc_conflict", "a Global Privacy Control decision cannot grant sale or sharing",
                              at);
    }
    for (const auto& p : notice.purposes) {
        if (p.is_necessary()) {
            out[p.id] = PurposeState::granted;
            continue;
        }
        // Nothing is granted that was not explicitly chosen (Planet49).
        const auto choice = req.choices.find(p.id);
        bool granted = req.method == Method::accept_all || (choice != req.choices.end() && choice->second);
        if (req.method == Method::gpc && p.sale_or_sharing) granted = false;
        out[p.id] = state_of(granted);
    }
    return Unit{};
}

Status expand_withdrawal(const Notice& notice, const DecisionRequest& req, std::map<std::string, PurposeState>& out) {
    for (std::size_t i = 0; i < req.withdraw.size(); ++i) {
        const Purpose* p = notice.find_purpose(req.withdraw[i]);
        const std::string at = json_pointer_append("/purposes", i);
        if (p == nullptr)
            return make_error("decision.unknown_purpose", "no purpose \"" + req.withdraw[i] + "\" in this notice", at);
        if (p->is_necessary())
            return make_error("decision.necessary_denied", "a necessary purpose cannot be withdrawn", at);
        out[p->id] = PurposeState::denied;
    }
    if (req.withdraw.empty())
        for (const auto& p : notice.purposes)
            if (!p.is_necessary()) out[p.id] = PurposeState::denied;
    return Unit{};
}

Status check_notice_matches(const Notice& notice, const std::string& hash, const DecisionRequest& req) {
    if (req.notice_id != notice.notice_id)
        return make_error("decision.notice_mismatch", "the decision names another notice", "/notice_id");
    if (req.notice_version != notice.version)
        return make_error("decision.notice_version_mismatch", "the decision names another notice version",
                          "/notice_version");
    if (req.notice_hash != hash)
        return make_error("decision.notice_hash_mismatch",
                          "the notice hash does not match the published text of that version", "/notice_hash");
    if (std::find(notice.languages.begin(), notice.languages.end(), req.language) == notice.languages.end())
        return make_error("decision.unknown_language", "the notice has no text in that language", "/language");
    return Unit{};
}

}  // namespace

std::string_view to_string(Method method) noexcept { return kMethodNames[static_cast<std::size_t>(method)]; }

std::string_view to_string(PurposeState state) noexcept {
    return state == PurposeState::granted ? "granted" : "denied";
}

std::optional<Method> method_from_string(std::string_view text) noexcept {
    for (std::size_t i = 0; i < kMethodNames.size(); ++i)
        if (kMethodNames[i] == text) return static_cast<Method>(i);
    return std::nullopt;
}

bool is_withdrawal(Method method) noexcept { return method == Method::withdraw || method == Method::server_withdraw; }

Result<DecisionRequest> parse_decision_request(const json& j) {
    FieldReader r(j, "", "decision");
    r.reject_unknown({"decision_id", "subject_id", "notice_id", "notice_version", "notice_hash", "language", "method",
                      "choices", "purposes", "client_time", "context"});
    DecisionRequest req;
    req.decision_id = r.string("decision_id", 64);
    if (r.ok() && !is_opaque_id(req.decision_id))
        r.fail("invalid_decision_id", "decision_id is 8 to 64 characters of [A-Za-z0-9_-]", r.path_of("decision_id"));
    req.subject_id = r.string("subject_id", 128);
    if (r.ok() && !is_subject_id(req.subject_id))
        r.fail("invalid_subject_id", "subject_id is 1 to 128 characters of [A-Za-z0-9_.:@-]", r.path_of("subject_id"));
    req.notice_id = r.string("notice_id", 64);
    req.notice_version = r.integer("notice_version", 1, 2147483647);
    req.notice_hash = r.string("notice_hash", 64);
    req.language = r.string("language", 35);
    if (r.has("client_time")) req.client_time_ms = r.integer("client_time", 0, kMaxTimeMs);
    const json* choices = r.object("choices", false);
    const json* purposes = r.array("purposes", false);
    const json* context = r.object("context", false);
    if (!r.ok()) return r.error();
    auto method = read_method(r);
    if (!method) return method.error();
    req.method = *method;
    if (auto s = check_method_fields(req, r); !s) return s.error();
    if (auto s = read_choices(choices, "/choices", req.choices); !s) return s.error();
    if (auto s = read_withdraw_list(purposes, "/purposes", req.withdraw); !s) return s.error();
    auto ctx = read_context(context, "/context");
    if (!ctx) return ctx.error();
    req.context = std::move(ctx).value();
    return req;
}

Result<Decision> make_decision(const Notice& notice, const std::string& notice_hash, const DecisionRequest& req) {
    if (auto s = check_notice_matches(notice, notice_hash, req); !s) return s.error();
    // Also for requests built in code rather than parsed: choices and lists only
    // where the method uses them.
    const bool uses_choices = req.method == Method::custom || req.method == Method::gpc;
    if (!uses_choices && !req.choices.empty())
        return make_error("decision.unexpected_field", "\"choices\" is not used with this method", "/choices");
    if (!is_withdrawal(req.method) && !req.withdraw.empty())
        return make_error("decision.unexpected_field", "\"purposes\" is only used with a withdrawal", "/purposes");
    Decision d{req.decision_id,    req.subject_id, req.notice_id, req.notice_version,
               req.notice_hash,    req.language,   req.method,    {},
               req.client_time_ms, req.context};
    auto expanded = is_withdrawal(req.method) ? expand_withdrawal(notice, req, d.purposes)
                                              : expand_choices(notice, req, d.purposes);
    if (!expanded) return expanded.error();
    return d;
}

bool is_retry_of(const Decision& recorded, const Decision& retry) {
    if (recorded.method == Method::server_withdraw && retry.method == Method::server_withdraw)
        return recorded.decision_id == retry.decision_id && recorded.subject_id == retry.subject_id &&
               recorded.purposes == retry.purposes;
    return decision_to_json(recorded) == decision_to_json(retry);
}

json decision_to_json(const Decision& d) {
    json purposes = json::object();
    for (const auto& [id, state] : d.purposes) purposes[id] = std::string(to_string(state));
    json out = {{"decision_id", d.decision_id},
                {"subject_id", d.subject_id},
                {"notice_id", d.notice_id},
                {"notice_version", d.notice_version},
                {"notice_hash", d.notice_hash},
                {"language", d.language},
                {"method", std::string(to_string(d.method))},
                {"purposes", purposes}};
    if (d.client_time_ms) out["client_time"] = *d.client_time_ms;
    json ctx = json::object();
    if (d.context.origin) ctx["origin"] = *d.context.origin;
    if (d.context.ua_class) ctx["ua_class"] = *d.context.ua_class;
    if (!ctx.empty()) out["context"] = ctx;
    return out;
}

Result<Decision> parse_decision(const json& j) {
    // The stored form differs from a request only in "purposes": a map of
    // explicit states instead of choices.
    FieldReader r(j, "", "decision");
    const json* purposes = r.object("purposes", true);
    if (!r.ok()) return r.error();
    auto method = read_method(r);
    if (!method) return method.error();
    json as_request = j;
    as_request.erase("purposes");
    as_request["method"] = "custom";
    as_request["choices"] = json::object();
    auto req = parse_decision_request(as_request);
    if (!req) return req.error();
    Decision d{req->decision_id,    req->subject_id, req->notice_id, req->notice_version,
               req->notice_hash,    req->language,   *method,        {},
               req->client_time_ms, req->context};
    for (auto it = purposes->begin(); it != purposes->end(); ++it) {
        const std::string at = json_pointer_append("/purposes", it.key());
        if (!is_purpose_id(it.key())) return make_error("decision.invalid_purpose_id", "not a purpose id", at);
        if (!it->is_string() || (*it != "granted" && *it != "denied"))
            return make_error("decision.invalid_state", "a purpose state is \"granted\" or \"denied\"", at);
        d.purposes[it.key()] = state_of(*it == "granted");
    }
    return d;
}

}  // namespace consent
