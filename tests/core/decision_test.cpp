#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "fixtures.hpp"

namespace {

using consent::Decision;
using consent::DecisionRequest;
using consent::Method;
using consent::PurposeState;
using consent::test::shop_notice;
using nlohmann::json;

constexpr PurposeState granted = PurposeState::granted;
constexpr PurposeState denied = PurposeState::denied;

using States = std::map<std::string, PurposeState>;

// A well-formed request body for method; the fields a method needs are added by the test.
json request_json(const std::string& method) {
    return {{"decision_id", "dec_0001-abcd"},
            {"subject_id", "3f9a1c2e-visitor"},
            {"notice_id", "bike-shop"},
            {"notice_version", 3},
            {"notice_hash", consent::notice_content_hash(shop_notice())},
            {"language", "en"},
            {"method", method}};
}

DecisionRequest request(Method method) {
    DecisionRequest r;
    r.decision_id = "dec_0001-abcd";
    r.subject_id = "3f9a1c2e-visitor";
    r.notice_id = "bike-shop";
    r.notice_version = 3;
    r.notice_hash = consent::notice_content_hash(shop_notice());
    r.language = "en";
    r.method = method;
    return r;
}

consent::Result<Decision> decide(const DecisionRequest& r) {
    const consent::Notice n = shop_notice();
    return consent::make_decision(n, consent::notice_content_hash(n), r);
}

DecisionRequest custom(std::map<std::string, bool> choices) {
    DecisionRequest r = request(Method::custom);
    r.choices = std::move(choices);
    return r;
}

DecisionRequest withdraw(std::vector<std::string> purposes, Method method = Method::withdraw) {
    DecisionRequest r = request(method);
    r.withdraw = std::move(purposes);
    return r;
}

struct RequestCase {
    std::string pointer;
    json value;
    std::string code;
    std::string path;
};

template <class T>
void check_rejected(const consent::Result<T>& result, const std::string& code, const std::string& path) {
    REQUIRE_FALSE(result.ok());
    CAPTURE(result.error().message);
    CHECK(result.error().code == code);
    CHECK(result.error().path == path);
}

void check_same(const Decision& a, const Decision& b) {
    CHECK(a.decision_id == b.decision_id);
    CHECK(a.subject_id == b.subject_id);
    CHECK(a.notice_id == b.notice_id);
    CHECK(a.notice_version == b.notice_version);
    CHECK(a.notice_hash == b.notice_hash);
    CHECK(a.language == b.language);
    CHECK(a.method == b.method);
    CHECK(a.purposes == b.purposes);
    CHECK(a.client_time_ms == b.client_time_ms);
    CHECK(a.context.origin == b.context.origin);
    CHECK(a.context.ua_class == b.context.ua_class);
}

}  // namespace

// ---------------------------------------------------------------------------
// parse_decision_request

TEST_CASE("a complete decision request is read field by field", "[core][decision]") {
    json j = request_json("custom");
    j["choices"] = {{"analytics", true}, {"marketing", false}};
    j["client_time"] = 1767225600123;
    j["context"] = {{"origin", "https://velo.example"}, {"ua_class", "mobile"}};
    auto req = consent::parse_decision_request(j);
    REQUIRE(req.ok());
    CHECK(req->decision_id == "dec_0001-abcd");
    CHECK(req->subject_id == "3f9a1c2e-visitor");
    CHECK(req->notice_id == "bike-shop");
    CHECK(req->notice_version == 3);
    CHECK(req->notice_hash == consent::notice_content_hash(shop_notice()));
    CHECK(req->language == "en");
    CHECK(req->method == Method::custom);
    CHECK(req->choices == std::map<std::string, bool>{{"analytics", true}, {"marketing", false}});
    CHECK(req->withdraw.empty());
    CHECK(req->client_time_ms == std::optional<std::int64_t>(1767225600123));
    CHECK(req->context.origin == std::optional<std::string>("https://velo.example"));
    CHECK(req->context.ua_class == std::optional<std::string>("mobile"));
}

TEST_CASE("every method name is read back to its method", "[core][decision]") {
    const auto method = GENERATE(Method::accept_all, Method::reject_all, Method::custom, Method::withdraw, Method::gpc,
                                 Method::server_withdraw);
    const std::string name(consent::to_string(method));
    CAPTURE(name);
    CHECK(consent::method_from_string(name) == method);
    CHECK(consent::is_withdrawal(method) == (name == "withdraw" || name == "server_withdraw"));
    CHECK_FALSE(consent::method_from_string("Accept_All").has_value());
    CHECK_FALSE(consent::method_from_string("").has_value());
}

TEST_CASE("an unknown field in a decision request is rejected, not ignored", "[core][decision]") {
    json j = request_json("accept_all");
    SECTION("at the top level") {
        j["granted"] = true;
        check_rejected(consent::parse_decision_request(j), "decision.unknown_field", "/granted");
    }
    SECTION("in the context") {
        j["context"] = {{"user_agent", "Mozilla/5.0"}};
        check_rejected(consent::parse_decision_request(j), "decision.unknown_field", "/context/user_agent");
    }
}

TEST_CASE("a decision request field of the wrong type is rejected with its path", "[core][decision]") {
    const auto c = GENERATE(values<RequestCase>({
        {"/decision_id", 12345678, "decision.wrong_type", "/decision_id"},
        {"/subject_id", json::array({"a"}), "decision.wrong_type", "/subject_id"},
        {"/notice_version", "3", "decision.wrong_type", "/notice_version"},
        {"/notice_version", 3.0, "decision.wrong_type", "/notice_version"},
        {"/notice_hash", nullptr, "decision.wrong_type", "/notice_hash"},
        {"/method", true, "decision.wrong_type", "/method"},
        {"/client_time", "2026-01-01", "decision.wrong_type", "/client_time"},
        {"/choices", json::array({"analytics"}), "decision.wrong_type", "/choices"},
        {"/choices", json{{"analytics", "yes"}}, "decision.wrong_type", "/choices/analytics"},
        {"/choices", json{{"analytics", 1}}, "decision.wrong_type", "/choices/analytics"},
        {"/context", "https://velo.example", "decision.wrong_type", "/context"},
        {"/context", json{{"origin", 443}}, "decision.wrong_type", "/context/origin"},
    }));
    CAPTURE(c.pointer, c.value.dump());
    json j = request_json("custom");
    j["choices"] = json::object();
    j[json::json_pointer(c.pointer)] = c.value;
    check_rejected(consent::parse_decision_request(j), c.code, c.path);
}

TEST_CASE("a withdrawal's purpose list must be an array of distinct strings", "[core][decision]") {
    const auto c = GENERATE(values<RequestCase>({
        {"/purposes", "analytics", "decision.wrong_type", "/purposes"},
        {"/purposes", json::array({"analytics", 7}), "decision.wrong_type", "/purposes/1"},
        {"/purposes", json::array({"analytics", "analytics"}), "decision.duplicate_purpose", "/purposes/1"},
    }));
    CAPTURE(c.value.dump());
    json j = request_json("withdraw");
    j[json::json_pointer(c.pointer)] = c.value;
    check_rejected(consent::parse_decision_request(j), c.code, c.path);
}

TEST_CASE("a decision request that is not a JSON object is rejected at the root", "[core][decision]") {
    const json body = GENERATE(json::array(), json("accept_all"), json(nullptr));
    CAPTURE(body.dump());
    check_rejected(consent::parse_decision_request(body), "decision.wrong_type", "");
}

TEST_CASE("a missing required field of a decision request is named by its path", "[core][decision]") {
    const std::string field = GENERATE(as<std::string>{}, "decision_id", "subject_id", "notice_id", "notice_version",
                                       "notice_hash", "language", "method");
    CAPTURE(field);
    json j = request_json("accept_all");
    j.erase(field);
    check_rejected(consent::parse_decision_request(j), "decision.missing_field", "/" + field);
}

TEST_CASE("ids, times and context values outside their syntax are rejected", "[core][decision]") {
    const auto c = GENERATE(values<RequestCase>({
        {"/decision_id", "short", "decision.invalid_decision_id", "/decision_id"},
        {"/decision_id", "has spaces in it", "decision.invalid_decision_id", "/decision_id"},
        {"/decision_id", "dec/0001/abcd", "decision.invalid_decision_id", "/decision_id"},
        {"/decision_id", "", "decision.empty_field", "/decision_id"},
        {"/decision_id", std::string(65, 'a'), "decision.too_long", "/decision_id"},
        {"/subject_id", "", "decision.empty_field", "/subject_id"},
        {"/subject_id", "visitor one", "decision.invalid_subject_id", "/subject_id"},
        {"/subject_id", "visitor/1", "decision.invalid_subject_id", "/subject_id"},
        {"/subject_id", "b\xC3\xA9la", "decision.invalid_subject_id", "/subject_id"},
        {"/subject_id", std::string(129, 'a'), "decision.too_long", "/subject_id"},
        {"/notice_version", 0, "decision.out_of_range", "/notice_version"},
        {"/client_time", -1, "decision.out_of_range", "/client_time"},
        {"/method", "accept", "decision.unknown_method", "/method"},
        {"/context", json{{"origin", "https://velo.example/checkout"}}, "decision.invalid_origin", "/context/origin"},
        {"/context", json{{"origin", "velo.example"}}, "decision.invalid_origin", "/context/origin"},
        // Keep personal data out of receipts: a class, never the raw user agent.
        {"/context", json{{"ua_class", "Mozilla/5.0 (X11; Linux x86_64)"}}, "decision.too_long", "/context/ua_class"},
        {"/context", json{{"ua_class", "iphone"}}, "decision.invalid_ua_class", "/context/ua_class"},
    }));
    CAPTURE(c.pointer, c.value.dump());
    json j = request_json("accept_all");
    j[json::json_pointer(c.pointer)] = c.value;
    check_rejected(consent::parse_decision_request(j), c.code, c.path);
}

TEST_CASE("a custom decision must carry its choices", "[core][decision]") {
    check_rejected(consent::parse_decision_request(request_json("custom")), "decision.missing_field", "/choices");
}

TEST_CASE("choices are accepted only with custom and gpc", "[core][decision]") {
    const std::string method = GENERATE(as<std::string>{}, "accept_all", "reject_all", "withdraw", "server_withdraw");
    CAPTURE(method);
    json j = request_json(method);
    j["choices"] = {{"analytics", false}};
    // accept_all with choices could hide a refusal inside an "accept everything" record.
    check_rejected(consent::parse_decision_request(j), "decision.unexpected_field", "/choices");
}

TEST_CASE("a gpc decision may carry choices for the purposes GPC does not cover", "[core][decision]") {
    json j = request_json("gpc");
    j["choices"] = {{"analytics", true}};
    auto req = consent::parse_decision_request(j);
    REQUIRE(req.ok());
    CHECK(req->method == Method::gpc);
    CHECK(req->choices.at("analytics"));
}

TEST_CASE("a purposes list is accepted only with a withdrawal", "[core][decision]") {
    const std::string method = GENERATE(as<std::string>{}, "accept_all", "reject_all", "custom", "gpc");
    CAPTURE(method);
    json j = request_json(method);
    if (method == "custom") j["choices"] = json::object();
    j["purposes"] = json::array({"analytics"});
    check_rejected(consent::parse_decision_request(j), "decision.unexpected_field", "/purposes");
}

TEST_CASE("a withdrawal reads its purposes list, which may be absent", "[core][decision]") {
    const std::string method = GENERATE(as<std::string>{}, "withdraw", "server_withdraw");
    CAPTURE(method);
    json j = request_json(method);
    auto all = consent::parse_decision_request(j);
    REQUIRE(all.ok());
    CHECK(all->withdraw.empty());
    j["purposes"] = json::array({"marketing", "analytics"});
    auto some = consent::parse_decision_request(j);
    REQUIRE(some.ok());
    CHECK(some->withdraw == std::vector<std::string>{"marketing", "analytics"});
}

// ---------------------------------------------------------------------------
// make_decision: one explicit state per purpose (EDPB 05/2020: granular, not bundled)

TEST_CASE("accept_all grants every purpose of the notice, each named in the record", "[core][decision]") {
    auto d = decide(request(Method::accept_all));
    REQUIRE(d.ok());
    CHECK(d->purposes == States{{"necessary", granted}, {"analytics", granted}, {"marketing", granted}});
    CHECK(d->method == Method::accept_all);
}

TEST_CASE("reject_all denies every consent purpose and keeps necessary on", "[core][decision]") {
    auto d = decide(request(Method::reject_all));
    REQUIRE(d.ok());
    CHECK(d->purposes == States{{"necessary", granted}, {"analytics", denied}, {"marketing", denied}});
}

TEST_CASE("custom grants only what was chosen and an unlisted purpose is denied (silence is not consent)",
          "[core][decision]") {
    using Choices = std::map<std::string, bool>;
    const auto [choices, analytics, marketing] = GENERATE(table<Choices, PurposeState, PurposeState>({
        {Choices{}, denied, denied},
        {Choices{{"analytics", true}}, granted, denied},
        {Choices{{"marketing", true}}, denied, granted},
        {Choices{{"analytics", true}, {"marketing", false}}, granted, denied},
        {Choices{{"analytics", false}, {"marketing", true}}, denied, granted},
        {Choices{{"analytics", true}, {"marketing", true}}, granted, granted},
        {Choices{{"necessary", true}}, denied, denied},
    }));
    CAPTURE(choices.size());
    auto d = decide(custom(choices));
    REQUIRE(d.ok());
    CHECK(d->purposes == States{{"necessary", granted}, {"analytics", analytics}, {"marketing", marketing}});
}

// CCPA regulations §7025: GPC is an opt-out of sale/sharing.
TEST_CASE("a gpc decision denies sale/sharing purposes and keeps the other choices", "[core][decision][gpc]") {
    DecisionRequest r = request(Method::gpc);
    SECTION("without choices nothing is granted") {
        auto d = decide(r);
        REQUIRE(d.ok());
        CHECK(d->purposes == States{{"necessary", granted}, {"analytics", denied}, {"marketing", denied}});
    }
    SECTION("a grant of a purpose GPC does not cover is kept") {
        r.choices = {{"analytics", true}};
        auto d = decide(r);
        REQUIRE(d.ok());
        CHECK(d->purposes == States{{"necessary", granted}, {"analytics", granted}, {"marketing", denied}});
        CHECK(d->method == Method::gpc);
    }
}

TEST_CASE("a gpc decision that grants a sale/sharing purpose is refused as gpc_conflict", "[core][decision][gpc]") {
    DecisionRequest r = request(Method::gpc);
    r.choices = {{"analytics", true}, {"marketing", true}};
    check_rejected(decide(r), "decision.gpc_conflict", "/choices/marketing");
}

// GDPR Art. 7(3): withdrawal names exactly what is withdrawn.
TEST_CASE("a withdrawal records only the purposes it withdraws", "[core][decision][withdraw]") {
    const auto method = GENERATE(Method::withdraw, Method::server_withdraw);
    CAPTURE(consent::to_string(method));
    auto one = decide(withdraw({"analytics"}, method));
    REQUIRE(one.ok());
    CHECK(one->purposes == States{{"analytics", denied}});
    CHECK(one->method == method);
    auto two = decide(withdraw({"marketing", "analytics"}, method));
    REQUIRE(two.ok());
    CHECK(two->purposes == States{{"analytics", denied}, {"marketing", denied}});
}

TEST_CASE("a withdrawal with an empty list withdraws every consent purpose and leaves necessary alone",
          "[core][decision][withdraw]") {
    auto d = decide(withdraw({}));
    REQUIRE(d.ok());
    CHECK(d->purposes == States{{"analytics", denied}, {"marketing", denied}});
}

TEST_CASE("necessary purposes are granted in every record that is not a withdrawal", "[core][decision]") {
    const auto method = GENERATE(Method::accept_all, Method::reject_all, Method::custom, Method::gpc);
    CAPTURE(consent::to_string(method));
    DecisionRequest r = request(method);
    auto d = decide(r);
    REQUIRE(d.ok());
    REQUIRE(d->purposes.count("necessary") == 1);
    CHECK(d->purposes.at("necessary") == granted);
    CHECK(d->purposes.size() == shop_notice().purposes.size());
}

TEST_CASE("a necessary purpose cannot be denied or withdrawn", "[core][decision]") {
    SECTION("denied in custom choices") {
        check_rejected(decide(custom({{"analytics", true}, {"necessary", false}})), "decision.necessary_denied",
                       "/choices/necessary");
    }
    SECTION("denied in gpc choices") {
        DecisionRequest r = request(Method::gpc);
        r.choices = {{"necessary", false}};
        check_rejected(decide(r), "decision.necessary_denied", "/choices/necessary");
    }
    SECTION("withdrawn by name") {
        check_rejected(decide(withdraw({"analytics", "necessary"})), "decision.necessary_denied", "/purposes/1");
    }
}

TEST_CASE("a decision about a purpose the notice does not have is refused", "[core][decision]") {
    SECTION("in choices") {
        check_rejected(decide(custom({{"analytics", true}, {"newsletter", true}})), "decision.unknown_purpose",
                       "/choices/newsletter");
    }
    SECTION("in choices, even as a refusal") {
        check_rejected(decide(custom({{"Analytics", false}})), "decision.unknown_purpose", "/choices/Analytics");
    }
    SECTION("in a withdrawal") {
        check_rejected(decide(withdraw({"analytics", "newsletter"})), "decision.unknown_purpose", "/purposes/1");
    }
}

// GDPR Art. 7(1): the record names the exact text shown, so it must be that text.
TEST_CASE("a decision about another notice, version, text or language is refused", "[core][decision]") {
    const consent::Notice n = shop_notice();
    const std::string hash = consent::notice_content_hash(n);
    DecisionRequest r = request(Method::accept_all);
    SECTION("notice id") {
        r.notice_id = "other-shop";
        check_rejected(consent::make_decision(n, hash, r), "decision.notice_mismatch", "/notice_id");
    }
    SECTION("version") {
        r.notice_version = 2;
        check_rejected(consent::make_decision(n, hash, r), "decision.notice_version_mismatch", "/notice_version");
    }
    SECTION("content hash") {
        r.notice_hash = std::string(64, '0');
        check_rejected(consent::make_decision(n, hash, r), "decision.notice_hash_mismatch", "/notice_hash");
    }
    SECTION("content hash in upper case") {
        r.notice_hash = hash;
        for (char& c : r.notice_hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        REQUIRE(r.notice_hash != hash);
        check_rejected(consent::make_decision(n, hash, r), "decision.notice_hash_mismatch", "/notice_hash");
    }
    SECTION("language the notice does not have") {
        r.language = "fr";
        check_rejected(consent::make_decision(n, hash, r), "decision.unknown_language", "/language");
    }
}

TEST_CASE("a decision keeps the notice, language, time and context it was made with", "[core][decision]") {
    DecisionRequest r = request(Method::reject_all);
    r.language = "ar";
    r.client_time_ms = 1767225600123;
    r.context.origin = "https://velo.example";
    r.context.ua_class = "desktop";
    auto d = decide(r);
    REQUIRE(d.ok());
    CHECK(d->decision_id == r.decision_id);
    CHECK(d->subject_id == r.subject_id);
    CHECK(d->notice_id == "bike-shop");
    CHECK(d->notice_version == 3);
    CHECK(d->notice_hash == consent::notice_content_hash(shop_notice()));
    CHECK(d->language == "ar");
    CHECK(d->client_time_ms == r.client_time_ms);
    CHECK(d->context.origin == r.context.origin);
    CHECK(d->context.ua_class == r.context.ua_class);
}

TEST_CASE("a parsed request body becomes a decision end to end", "[core][decision]") {
    json j = request_json("custom");
    j["choices"] = {{"marketing", true}};
    auto req = consent::parse_decision_request(j);
    REQUIRE(req.ok());
    auto d = decide(*req);
    REQUIRE(d.ok());
    CHECK(d->purposes == States{{"necessary", granted}, {"analytics", denied}, {"marketing", granted}});
}

// ---------------------------------------------------------------------------
// decision_to_json / parse_decision

TEST_CASE("decision_to_json then parse_decision gives back the same decision", "[core][decision][json]") {
    const auto method = GENERATE(Method::accept_all, Method::reject_all, Method::custom, Method::gpc, Method::withdraw,
                                 Method::server_withdraw);
    const bool optional_fields = GENERATE(false, true);
    CAPTURE(consent::to_string(method), optional_fields);
    DecisionRequest r = request(method);
    if (method == Method::custom) r.choices = {{"analytics", true}};
    if (consent::is_withdrawal(method)) r.withdraw = {"marketing"};
    if (optional_fields) {
        r.client_time_ms = 1767225600999;
        r.context.origin = "https://velo.example:8443";
        r.context.ua_class = "tablet";
    }
    auto d = decide(r);
    REQUIRE(d.ok());
    const json stored = consent::decision_to_json(*d);
    CHECK(stored.contains("client_time") == optional_fields);
    CHECK(stored.contains("context") == optional_fields);
    auto back = consent::parse_decision(stored);
    REQUIRE(back.ok());
    check_same(*back, *d);
    CHECK(consent::decision_to_json(*back) == stored);
}

TEST_CASE("decision_to_json writes each purpose state as granted or denied", "[core][decision][json]") {
    auto d = decide(custom({{"analytics", true}}));
    REQUIRE(d.ok());
    const json stored = consent::decision_to_json(*d);
    CHECK(stored.at("method") == "custom");
    CHECK(stored.at("purposes") == json{{"necessary", "granted"}, {"analytics", "granted"}, {"marketing", "denied"}});
    CHECK_FALSE(stored.contains("choices"));
}

TEST_CASE("parse_decision rejects a stored purpose state other than granted or denied", "[core][decision][json]") {
    auto d = decide(request(Method::accept_all));
    REQUIRE(d.ok());
    json stored = consent::decision_to_json(*d);
    const json state = GENERATE(json("maybe"), json(true), json("Granted"), json(nullptr));
    CAPTURE(state.dump());
    stored["purposes"]["analytics"] = state;
    check_rejected(consent::parse_decision(stored), "decision.invalid_state", "/purposes/analytics");
}

TEST_CASE("parse_decision rejects a stored decision without purposes or with an unknown field",
          "[core][decision][json]") {
    auto d = decide(request(Method::accept_all));
    REQUIRE(d.ok());
    json stored = consent::decision_to_json(*d);
    SECTION("no purposes") {
        stored.erase("purposes");
        check_rejected(consent::parse_decision(stored), "decision.missing_field", "/purposes");
    }
    SECTION("unknown field") {
        stored["note"] = "edited later";
        check_rejected(consent::parse_decision(stored), "decision.unknown_field", "/note");
    }
    SECTION("unknown method") {
        stored["method"] = "implied";
        check_rejected(consent::parse_decision(stored), "decision.unknown_method", "/method");
    }
}

TEST_CASE("make_decision refuses choices or lists a method does not use, even when built in code", "[core][decision]") {
    DecisionRequest accept = request(Method::accept_all);
    accept.choices = {{"analytics", false}};
    auto a = decide(accept);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == "decision.unexpected_field");

    DecisionRequest custom_with_list = custom({{"analytics", true}});
    custom_with_list.withdraw = {"marketing"};
    auto c = decide(custom_with_list);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == "decision.unexpected_field");
}

TEST_CASE("a stored decision whose purposes map has a key that is not a purpose id is refused", "[core][decision]") {
    auto d = decide(request(Method::reject_all));
    REQUIRE(d.ok());
    nlohmann::json stored = consent::decision_to_json(*d);
    stored["purposes"]["Not An Id!"] = "denied";
    auto parsed = consent::parse_decision(stored);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "decision.invalid_purpose_id");
    CHECK(parsed.error().path == "/purposes/Not An Id!");
}

// A decision id is an idempotency key for one request only (issue #10 item 1).
TEST_CASE("a retry is the same decision in canonical form and nothing else is", "[core][decision][retry]") {
    DecisionRequest base = custom({{"analytics", true}});
    base.client_time_ms = 1767225600123;
    base.context.ua_class = "desktop";
    auto recorded = decide(base);
    REQUIRE(recorded.ok());
    auto same = decide(base);
    REQUIRE(same.ok());
    CHECK(consent::is_retry_of(*recorded, *same));

    DecisionRequest other_subject = base;
    other_subject.subject_id = "b_AAAAAAAAAAAAAAAAAAAAAA";
    DecisionRequest other_choices = custom({{"analytics", false}});
    other_choices.client_time_ms = base.client_time_ms;
    other_choices.context = base.context;
    DecisionRequest other_method = request(Method::accept_all);
    other_method.client_time_ms = base.client_time_ms;
    other_method.context = base.context;
    DecisionRequest other_time = base;
    other_time.client_time_ms = 1767225600124;
    DecisionRequest other_origin = base;
    other_origin.context.origin = "https://velo.example";
    DecisionRequest other_language = base;
    other_language.language = "de";
    const auto changed =
        GENERATE_COPY(values({other_subject, other_choices, other_method, other_time, other_origin, other_language}));
    auto retry = decide(changed);
    REQUIRE(retry.ok());
    CAPTURE(consent::decision_to_json(*retry).dump());
    CHECK_FALSE(consent::is_retry_of(*recorded, *retry));
    CHECK_FALSE(consent::is_retry_of(*retry, *recorded));
}

TEST_CASE("a server withdrawal retried on a newer notice version is still the same withdrawal",
          "[core][decision][retry]") {
    DecisionRequest w = withdraw({"marketing"});
    w.method = Method::server_withdraw;
    auto recorded = decide(w);
    REQUIRE(recorded.ok());
    Decision later = *recorded;  // the backend's retry after version 4 was published
    later.notice_version = 4;
    later.notice_hash = std::string(64, 'a');
    CHECK(consent::is_retry_of(*recorded, later));
    Decision other_purposes = later;
    other_purposes.purposes = {{"analytics", denied}};
    CHECK_FALSE(consent::is_retry_of(*recorded, other_purposes));
    Decision other_subject = later;
    other_subject.subject_id = "user-43";
    CHECK_FALSE(consent::is_retry_of(*recorded, other_subject));
    // The visitor's own withdrawal under that id is another decision.
    DecisionRequest visitor = withdraw({"marketing"});
    auto by_visitor = decide(visitor);
    REQUIRE(by_visitor.ok());
    CHECK_FALSE(consent::is_retry_of(*recorded, *by_visitor));
    CHECK_FALSE(consent::is_retry_of(*by_visitor, *recorded));
}
