// The banner's operations of the JSON API: each one only marshals arguments
// into core types and back; no consent rule is decided here.
#include "json_api_tables.hpp"

#include <cstdint>
#include <map>

#include "consent/banner/banner_view.hpp"
#include "consent/banner/click.hpp"
#include "consent/banner/consent_mode.hpp"
#include "consent/consent/state_json.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"

namespace consent::api {
namespace {

using json = Json;

// Arguments shared by the policy operations:
// {"notice":{…}, "last_material_version":n?, "now":s, "gpc":bool?, "state":{…}?, "languages":[…]?}
struct PolicyArgs {
    Notice notice;
    std::int64_t last_material_version = 1;
    std::int64_t now = 0;
    bool gpc = false;
    SubjectState state;
    PolicyContext context() const { return PolicyContext{notice, last_material_version, now, gpc}; }
};

Result<PolicyArgs> read_policy_args(const json& in) {
    FieldReader r(in, "", "api");
    const json* notice = r.object("notice", true);
    const json* state = r.object("state", false);
    PolicyArgs args;
    args.now = r.integer("now", 0, 253402300799);
    args.gpc = r.boolean_or("gpc", false);
    if (!r.ok()) return r.error();
    auto n = parse_notice(*notice);
    if (!n) return make_error(n.error().code, n.error().message, "/notice" + n.error().path);
    args.notice = std::move(n).value();
    // Without a version history the current version is the newest material one
    // if it is itself material; callers that know the history pass it.
    const std::int64_t fallback = args.notice.material ? args.notice.version : 1;
    args.last_material_version = r.integer_or("last_material_version", 1, args.notice.version, fallback);
    if (!r.ok()) return r.error();
    if (state != nullptr) {
        auto s = parse_subject_state(*state);
        if (!s) return make_error(s.error().code, s.error().message, "/state" + s.error().path);
        args.state = std::move(s).value();
    }
    return args;
}

// The visitor's language preferences (navigator.languages); anything else is ignored.
std::vector<std::string> read_languages(const json& in) {
    std::vector<std::string> languages;
    if (in.contains("languages") && in["languages"].is_array())
        for (const auto& l : in["languages"])
            if (l.is_string()) languages.push_back(l.get<std::string>());
    return languages;
}

Result<json> op_canonicalize(const json& in) {
    auto text = canonicalize(in);
    if (!text) return text.error();
    return json(*text);
}

Result<json> op_notice_parse(const json& in) {
    auto n = parse_notice(in);
    if (!n) return n.error();
    return json{{"notice", notice_to_json(*n)}, {"hash", notice_content_hash(*n)}};
}

Result<json> op_banner_view(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    const std::vector<std::string> languages = read_languages(in);
    return banner_view_to_json(banner_view(args->context(), languages, args->state));
}

Result<json> op_decision_make(const json& in) {
    FieldReader r(in, "", "api");
    const json* notice = r.object("notice", true);
    const json* request = r.object("request", true);
    if (!r.ok()) return r.error();
    auto n = parse_notice(*notice);
    if (!n) return make_error(n.error().code, n.error().message, "/notice" + n.error().path);
    auto req = parse_decision_request(*request);
    if (!req) return make_error(req.error().code, req.error().message, "/request" + req.error().path);
    auto d = make_decision(*n, notice_content_hash(*n), *req);
    if (!d) return make_error(d.error().code, d.error().message, "/request" + d.error().path);
    return decision_to_json(*d);
}

Result<json> op_state_apply(const json& in) {
    FieldReader r(in, "", "api");
    const json* decision = r.object("decision", true);
    const std::int64_t decided_at = r.integer("decided_at", 0, 253402300799);
    const std::string receipt_id = r.optional_string("receipt_id", 128).value_or("");
    if (!r.ok()) return r.error();
    SubjectState state;
    if (in.contains("state")) {
        auto s = parse_subject_state(in["state"]);
        if (!s) return make_error(s.error().code, s.error().message, "/state" + s.error().path);
        state = std::move(s).value();
    }
    auto d = parse_decision(*decision);
    if (!d) return make_error(d.error().code, d.error().message, "/decision" + d.error().path);
    apply_decision(state, *d, decided_at, receipt_id);
    return subject_state_to_json(state);
}

Result<json> op_is_allowed(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    FieldReader r(in, "", "api");
    const std::string purpose = r.string("purpose", 64);
    if (!r.ok()) return r.error();
    return verdict_to_json(is_allowed(args->context(), purpose, args->state));
}

Result<json> op_needs_prompt(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    return prompt_verdict_to_json(needs_prompt(args->context(), args->state));
}

Result<json> op_consent_mode(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    return json(consent_mode_state(args->context(), args->state));
}

// Everything the banner needs after a change of state, from one parse of the
// notice: the view, a verdict per purpose and the Consent Mode states. The
// parts are exactly what banner.view, policy.is_allowed and
// consent_mode.state answer (a test compares them).
Result<json> op_banner_evaluate(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    const std::vector<std::string> languages = read_languages(in);
    const PolicyContext context = args->context();
    json verdicts = json::object();
    for (const auto& p : args->notice.purposes)
        verdicts[p.id] = verdict_to_json(is_allowed(context, p.id, args->state));
    return json{{"view", banner_view_to_json(banner_view(context, languages, args->state))},
                {"verdicts", std::move(verdicts)},
                {"consent_mode", consent_mode_state(context, args->state)}};
}

json click_record_to_json(const ClickRecord& r) {
    json out = {{"method", std::string(to_string(r.method))}};
    if (r.method == Method::custom || r.method == Method::gpc) out["choices"] = r.choices;
    if (r.method == Method::withdraw) out["purposes"] = r.purposes;
    return out;
}

// Policy args + {"click": "accept"|"reject"|"save", "choices": {purpose: bool}?}
// -> {"method", "choices"?, "purposes"?}: what that click records (click.hpp).
Result<json> op_banner_click(const json& in) {
    auto args = read_policy_args(in);
    if (!args) return args.error();
    FieldReader r(in, "", "api");
    const std::string click = r.string("click", 16);
    const json* choices = r.object("choices", false);
    if (!r.ok()) return r.error();
    Click c = Click::save;
    if (click == "accept") c = Click::accept;
    else if (click == "reject") c = Click::reject;
    else if (click != "save") return make_error("api.invalid_click", "click is accept, reject or save", "/click");
    std::map<std::string, bool> saved;
    if (choices != nullptr)
        for (auto it = choices->begin(); it != choices->end(); ++it) {
            if (!it.value().is_boolean())
                return make_error("api.wrong_type", "a choice is true or false",
                                  json_pointer_append("/choices", it.key()));
            saved[it.key()] = it.value().get<bool>();
        }
    return click_record_to_json(click_record(args->context(), args->state, c, saved));
}

}  // namespace

const OperationTable& banner_operations() {
    static const OperationTable table{
        {"jcs.canonicalize", op_canonicalize},    {"notice.parse", op_notice_parse},
        {"banner.view", op_banner_view},          {"decision.make", op_decision_make},
        {"state.apply", op_state_apply},          {"policy.is_allowed", op_is_allowed},
        {"policy.needs_prompt", op_needs_prompt}, {"consent_mode.state", op_consent_mode},
        {"banner.evaluate", op_banner_evaluate},  {"banner.click", op_banner_click},
    };
    return table;
}

const OperationTable& page_operations() {
    static const OperationTable table{
        {"notice.parse", op_notice_parse},       {"decision.make", op_decision_make}, {"state.apply", op_state_apply},
        {"banner.evaluate", op_banner_evaluate}, {"banner.click", op_banner_click},
    };
    return table;
}

}  // namespace consent::api
