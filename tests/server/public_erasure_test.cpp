// The visitor's own erasure (docs/erasure.md "Who may ask"): POST
// /v1/sites/{site}/erasures from the banner, over real HTTP on 127.0.0.1 with a
// real SQLite file. A browser-made id is a capability and is erased as it is; an
// account id needs a subject token; the public routes' Origin allowlist holds.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "consent/log/erasure.hpp"
#include "server_fixture.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using consent::test::SiteBackend;
using nlohmann::json;

constexpr std::int64_t kT0 = 1780000000;
constexpr const char* kAccount = "alice@example.com";
constexpr const char* kErasures = "/v1/sites/bike-shop/erasures";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == status);
    return json::parse(r->body);
}

std::string code_of(const httplib::Result& r, int status) {
    return body_of(r, status)["error"]["code"].get<std::string>();
}

httplib::Result post_decision(const RunningServer& s, const json& body, httplib::Headers h = {}) {
    h.emplace("Origin", kShopOrigin);
    return s.client().Post("/v1/sites/bike-shop/decisions", h, body.dump(), "application/json");
}

// What the banner sends: the Origin its page has, the id in the body.
httplib::Result ask_erasure(const RunningServer& s, const std::string& subject, httplib::Headers h = {},
                            const std::string& origin = kShopOrigin) {
    if (!origin.empty()) h.emplace("Origin", origin);
    return s.client().Post(kErasures, h, json{{"subject_id", subject}}.dump(), "application/json");
}

json check(const RunningServer& s, const std::string& subject, const std::string& purpose) {
    return body_of(s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/purposes/" + purpose).c_str(),
                                  bearer(s.shop_key())),
                   200);
}

json export_of(const RunningServer& s, const std::string& subject) {
    return body_of(
        s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/export").c_str(), bearer(s.shop_key())), 200);
}

consent::ErasureFacts facts_of(const json& answer) {
    auto jws = consent::parse_erasure_jws(answer["erasure"].get<std::string>());
    REQUIRE(jws.ok());
    auto contents = consent::read_erasure_payload(jws->payload);
    REQUIRE(contents.ok());
    return contents->facts;
}

json token_claims(const RunningServer& s, const std::string& subject) {
    return {{"site", "bike-shop"}, {"sub", subject}, {"iat", s.now()}, {"exp", s.now() + 600}};
}

}  // namespace

TEST_CASE("public erasure: a browser-made id is erased from an Origin on the allowlist, as the visitor's request",
          "[server][http][erasure][public]") {
    RunningServer s;
    s.set_time(kT0);
    body_of(post_decision(s, s.decision("dec-pub-erase-1", kBrowserSubject, "accept_all")), 201);

    // The preflight a browser sends first (the body is JSON).
    auto preflight = s.client().Options(kErasures, {{"Origin", kShopOrigin},
                                                    {"Access-Control-Request-Method", "POST"},
                                                    {"Access-Control-Request-Headers", "content-type"}});
    REQUIRE(preflight);
    CHECK(preflight->status == 204);
    CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
    CHECK_THAT(preflight->get_header_value("Access-Control-Allow-Methods"), Catch::Contains("POST"));
    CHECK_THAT(preflight->get_header_value("Access-Control-Allow-Headers"), Catch::Contains("Content-Type"));

    auto r = ask_erasure(s, kBrowserSubject);
    const json erased = body_of(r, 201);
    CHECK(r->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
    CHECK(erased["erased"] == 1);
    const auto facts = facts_of(erased);
    CHECK(facts.reason == "subject_request");
    CHECK(facts.requested_by == "public:browser_id");  // the public path, not an API key
    CHECK(erased["erasure"].get<std::string>().find(kBrowserSubject) == std::string::npos);

    CHECK(check(s, kBrowserSubject, "analytics")["reason"] == "no_decision");
    const json bundle = export_of(s, kBrowserSubject);
    CHECK(bundle["erased"] == true);
    CHECK(bundle["receipts"].empty());
    REQUIRE(bundle["erasures"].size() == 1);
    CHECK(bundle["erasures"][0]["jws"] == erased["erasure"]);

    // Asked again (a retry after a lost answer): the same erasure receipt.
    const json again = body_of(ask_erasure(s, kBrowserSubject), 200);
    CHECK(again["replayed"] == true);
    CHECK(again["erasure_id"] == erased["erasure_id"]);
}

TEST_CASE("public erasure: an account id is refused without a subject token, and erased with one",
          "[server][http][erasure][public]") {
    RunningServer s;
    s.set_time(kT0);
    SiteBackend backend;
    s.register_subject_key("bike-shop", backend.public_key());
    const httplib::Headers vouched = {{"Consent-Subject-Token", backend.token(token_claims(s, kAccount))}};
    body_of(post_decision(s, s.decision("dec-pub-erase-2", kAccount, "accept_all"), vouched), 201);

    CHECK(code_of(ask_erasure(s, kAccount), 403) == "subject.token_required");
    // A token for someone else vouches for nothing here.
    const httplib::Headers other = {{"Consent-Subject-Token", backend.token(token_claims(s, "bob@example.com"))}};
    CHECK(code_of(ask_erasure(s, kAccount, other), 403) == "subject.token_wrong_subject");
    CHECK(check(s, kAccount, "analytics")["allowed"] == true);  // nothing was erased

    const json erased = body_of(ask_erasure(s, kAccount, vouched), 201);
    CHECK(facts_of(erased).requested_by == "public:subject_token");
    CHECK(facts_of(erased).reason == "subject_request");
    CHECK(check(s, kAccount, "analytics")["reason"] == "no_decision");
}

TEST_CASE("public erasure: an Origin off the allowlist is refused, before and at the request",
          "[server][http][erasure][public]") {
    RunningServer s;
    s.set_time(kT0);
    body_of(post_decision(s, s.decision("dec-pub-erase-3", kBrowserSubject, "accept_all")), 201);
    const std::string evil = "https://evil.example";

    auto preflight = s.client().Options(kErasures, {{"Origin", evil}, {"Access-Control-Request-Method", "POST"}});
    REQUIRE(preflight);
    CHECK(preflight->status == 403);
    CHECK(preflight->get_header_value("Access-Control-Allow-Origin").empty());

    CHECK(code_of(ask_erasure(s, kBrowserSubject, {}, evil), 403) == "request.origin_not_allowed");
    CHECK(check(s, kBrowserSubject, "analytics")["allowed"] == true);  // nothing was erased
    CHECK(export_of(s, kBrowserSubject)["erased"] == false);
}

TEST_CASE("public erasure: the browser chooses no reason, sends JSON, and names a subject the site has",
          "[server][http][erasure][public]") {
    RunningServer s;
    s.set_time(kT0);
    body_of(post_decision(s, s.decision("dec-pub-erase-4", kBrowserSubject, "reject_all")), 201);
    const httplib::Headers origin = {{"Origin", kShopOrigin}};

    // A reason is the backend's to give: the public body has the id only.
    const json with_reason = {{"subject_id", kBrowserSubject}, {"reason", "retention"}};
    CHECK(
        code_of(s.client().Post(kErasures, origin, with_reason.dump(), "application/json"), 400).rfind("request.", 0) ==
        0);
    // text/plain would be a simple request with no preflight: not for something that cannot be undone.
    CHECK(code_of(s.client().Post(kErasures, origin, json{{"subject_id", kBrowserSubject}}.dump(), "text/plain"),
                  415) == "request.unsupported_media_type");
    CHECK(code_of(ask_erasure(s, "b_AAAAAAAAAAAAAAAAAAAAAA"), 404) == "subject.unknown");
    CHECK(code_of(ask_erasure(s, "not a subject"), 400) == "request.invalid_subject");
    CHECK(code_of(s.client().Post("/v1/sites/no-such-site/erasures", json{{"subject_id", kBrowserSubject}}.dump(),
                                  "application/json"),
                  404) == "request.not_found");
    CHECK(check(s, kBrowserSubject, "analytics")["reason"] == "denied");
}
