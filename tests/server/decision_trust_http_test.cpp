// Who may speak for a subject, and what a decision id is a key for (issue #10,
// items 1 and 7), over real HTTP on 127.0.0.1 against a real SQLite file.
//
// - A decision id is an idempotency key for one request only: a retry of the
//   same request gets the same receipt; anything else under a used id is 409
//   decision.id_conflict and discloses nothing of the first receipt.
// - A subject id that is not the browser's random id can be guessed (an
//   account id, an email): every method needs a subject token, or the backend.
// - A receipt records the Origin header the server received, not one the
//   client wrote in its body.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"
#include "server_fixture.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using consent::test::SiteBackend;
using nlohmann::json;

// Another visitor's browser-made id.
constexpr const char* kOtherBrowserSubject = "b_T3R0by1icm93c2VyLTAyAA";
constexpr const char* kAccount = "alice@example.com";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    return json::parse(r->body);
}

std::string error_code(const httplib::Result& r) { return body_of(r)["error"]["code"].get<std::string>(); }

httplib::Result post_decision(const RunningServer& s, const json& body, const httplib::Headers& extra = {},
                              const std::string& origin = kShopOrigin) {
    httplib::Headers h = extra;
    if (!origin.empty()) h.emplace("Origin", origin);
    return s.client().Post("/v1/sites/bike-shop/decisions", h, body.dump(), "application/json");
}

httplib::Result withdraw(const RunningServer& s, const std::string& subject, const json& body) {
    return s.client().Post(("/v1/sites/bike-shop/subjects/" + subject + "/withdrawals").c_str(), bearer(s.shop_key()),
                           body.dump(), "application/json");
}

json check(const RunningServer& s, const std::string& subject, const std::string& purpose) {
    return body_of(s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/purposes/" + purpose).c_str(),
                                  bearer(s.shop_key())));
}

// The signed payload of a receipt JWS (header.payload.signature).
json receipt_payload(const json& answer) {
    const std::string jws = answer["receipt"].get<std::string>();
    const auto first = jws.find('.');
    const auto second = jws.find('.', first + 1);
    auto bytes = consent::base64url_decode(jws.substr(first + 1, second - first - 1));
    REQUIRE(bytes);
    return json::parse(std::string(bytes->begin(), bytes->end()));
}

// A 409 that says only that the id is taken: nothing of the first receipt.
void check_conflict_discloses_nothing(const httplib::Result& r, const json& first_answer) {
    REQUIRE(r);
    CHECK(r->status == 409);
    json body = json::parse(r->body);  // not const: a missing member reads as null
    CHECK(body["error"]["code"] == "decision.id_conflict");
    CHECK(body.size() == 1);
    CHECK_FALSE(body.contains("receipt"));
    for (const char* secret : {"receipt_id", "receipt"}) {
        CAPTURE(secret);
        CHECK(r->body.find(first_answer[secret].get<std::string>()) == std::string::npos);
    }
    CHECK(r->body.find(kBrowserSubject) == std::string::npos);
}

json token_claims(const RunningServer& s, const std::string& subject) {
    return {{"site", "bike-shop"}, {"sub", subject}, {"iat", s.now()}, {"exp", s.now() + 600}};
}

}  // namespace

TEST_CASE(
    "a reused decision id with another subject or other choices or another method is a conflict that "
    "discloses nothing",
    "[server][http][trust]") {
    RunningServer s;
    const json first = s.decision("dec-shared-0001", kBrowserSubject, "accept_all");
    const json first_answer = body_of(post_decision(s, first));
    REQUIRE(first_answer["replayed"] == false);

    json another_subject = s.decision("dec-shared-0001", kOtherBrowserSubject, "reject_all");
    json other_choices = s.decision("dec-shared-0001", kBrowserSubject, "custom");
    other_choices["choices"] = {{"analytics", true}};
    json another_method = s.decision("dec-shared-0001", kBrowserSubject, "reject_all");
    json another_time = first;
    another_time["client_time"] = 1767225600000;
    const auto reused = GENERATE_COPY(values({another_subject, other_choices, another_method, another_time}));
    CAPTURE(reused.dump());
    check_conflict_discloses_nothing(post_decision(s, reused), first_answer);
    CHECK(*s.store().receipt_count() == 1);

    // The caller's real decision is recorded once it has a fresh id.
    json fresh = reused;
    fresh["decision_id"] = "dec-fresh-0002";
    auto recorded = post_decision(s, fresh);
    REQUIRE(recorded);
    CHECK(recorded->status == 201);
    const std::string subject = fresh["subject_id"].get<std::string>();
    CHECK(check(s, subject, "analytics")["receipt_id"] == body_of(recorded)["receipt_id"]);
    CHECK(*s.store().receipt_count() == 2);
}

TEST_CASE("an identical retry of a decision gets the very same receipt", "[server][http][trust]") {
    RunningServer s;
    json d = s.decision("dec-retry-0001", kBrowserSubject, "custom");
    d["choices"] = {{"analytics", true}, {"marketing", false}};
    d["client_time"] = 1767225600123;
    d["context"] = {{"ua_class", "desktop"}};
    auto first = post_decision(s, d);
    auto again = post_decision(s, d);
    REQUIRE(first);
    REQUIRE(again);
    CHECK(first->status == 201);
    CHECK(again->status == 200);
    CHECK(body_of(again)["replayed"] == true);
    CHECK(body_of(again)["receipt"] == body_of(first)["receipt"]);
    CHECK(*s.store().receipt_count() == 1);
}

TEST_CASE("a backend withdrawal retried gets the same receipt and a reused id of another decision is a conflict",
          "[server][http][trust]") {
    RunningServer s;
    const json banner_answer = body_of(post_decision(s, s.decision("dec-banner-0001", kBrowserSubject, "accept_all")));
    const json w = {{"decision_id", "wd-backend-0001"}, {"purposes", {"marketing"}}};
    auto first = withdraw(s, kBrowserSubject, w);
    auto again = withdraw(s, kBrowserSubject, w);
    REQUIRE(first);
    REQUIRE(again);
    CHECK(first->status == 201);
    CHECK(again->status == 200);
    CHECK(body_of(again)["replayed"] == true);
    CHECK(body_of(again)["receipt"] == body_of(first)["receipt"]);
    CHECK(*s.store().receipt_count() == 2);

    // The same id for other purposes, another subject, or an id the banner used first.
    auto other_purposes =
        withdraw(s, kBrowserSubject, {{"decision_id", "wd-backend-0001"}, {"purposes", {"analytics"}}});
    check_conflict_discloses_nothing(other_purposes, body_of(first));
    auto other_subject = withdraw(s, kOtherBrowserSubject, w);
    check_conflict_discloses_nothing(other_subject, body_of(first));
    auto banner_id = withdraw(s, kBrowserSubject, {{"decision_id", "dec-banner-0001"}, {"purposes", {"analytics"}}});
    check_conflict_discloses_nothing(banner_id, banner_answer);
    CHECK(*s.store().receipt_count() == 2);
    // Under a fresh id the withdrawal happens, and the very next check denies.
    REQUIRE(check(s, kBrowserSubject, "analytics")["allowed"] == true);
    auto real = withdraw(s, kBrowserSubject, {{"decision_id", "wd-backend-0002"}, {"purposes", {"analytics"}}});
    REQUIRE(real);
    CHECK(real->status == 201);
    CHECK(check(s, kBrowserSubject, "analytics")["reason"] == "withdrawn");
}

TEST_CASE("no method of the public route speaks for a guessable subject id without a subject token",
          "[server][http][trust]") {
    RunningServer s;
    const auto method = GENERATE(as<std::string>(), "accept_all", "reject_all", "custom", "withdraw", "gpc");
    CAPTURE(method);
    json d = s.decision("dec-alice-0001", kAccount, method);
    if (method == "custom" || method == "gpc") d["choices"] = {{"analytics", false}};
    auto refused = post_decision(s, d);
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(error_code(refused) == "subject.token_required");
    CHECK(*s.store().receipt_count() == 0);
    CHECK(check(s, kAccount, "analytics")["reason"] == "no_decision");

    // With a token from the site's backend the same request is recorded.
    SiteBackend backend;
    s.register_subject_key("bike-shop", backend.public_key());
    auto vouched = post_decision(s, d, {{"Consent-Subject-Token", backend.token(token_claims(s, kAccount))}});
    REQUIRE(vouched);
    CHECK(vouched->status == 201);
    CHECK(*s.store().receipt_count() == 1);
}

TEST_CASE("the backend withdraws for a guessable subject id with its API key", "[server][http][trust]") {
    RunningServer s;
    auto r = withdraw(s, kAccount, {{"decision_id", "wd-alice-0001"}});
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(check(s, kAccount, "marketing")["reason"] == "withdrawn");
}

TEST_CASE("a receipt's context origin is the Origin header the server received, whatever the body said",
          "[server][http][trust]") {
    RunningServer s;
    json d = s.decision("dec-origin-0001", kBrowserSubject, "reject_all");
    d["context"] = {{"origin", "https://evil.example"}, {"ua_class", "mobile"}};
    const json answer = body_of(post_decision(s, d));
    const json payload = receipt_payload(answer);
    CHECK(payload["context"]["origin"] == kShopOrigin);
    CHECK(payload["context"]["ua_class"] == "mobile");

    // Without an Origin header (not a browser) the receipt names no origin at all.
    json no_header = s.decision("dec-origin-0002", kBrowserSubject, "reject_all");
    no_header["context"] = {{"origin", kShopOrigin}};
    const json plain = body_of(post_decision(s, no_header, {}, ""));
    CHECK_FALSE(receipt_payload(plain).contains("context"));

    // A retry from the same page with another body origin is still the same request.
    json retry = d;
    retry["context"]["origin"] = "https://other.example";
    auto again = post_decision(s, retry);
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(body_of(again)["receipt"] == answer["receipt"]);
}

// Issue #10 item 2 over HTTP: numbers in headers and query strings at and past
// the ends of int64 get a clear 400, never a wrapped or clamped value.
TEST_CASE("a Last-Event-ID or proof parameter beyond 64 bits is refused with a clear error",
          "[server][http][checked]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-edge-0001", kBrowserSubject, "reject_all"))->status == 201);
    const auto resume = GENERATE(as<std::string>(), "9223372036854775808", "99999999999999999999",
                                 "-9223372036854775809", "-2", "1e3", "0x10", "+1");
    CAPTURE(resume);
    httplib::Headers h = bearer(s.shop_key());
    h.emplace("Last-Event-ID", resume);
    std::string received;
    // A stream would send a heartbeat within a second: stop reading at the first bytes.
    auto r = s.client().Get("/v1/sites/bike-shop/events", h, [&](const char* data, std::size_t n) {
        received.append(data, n);
        return false;
    });
    REQUIRE(r.error() != httplib::Error::Connection);
    if (r) CHECK(r->status == 400);
    CHECK(received.find("request.invalid_event_id") != std::string::npos);

    for (const char* path : {"/v1/log/proofs/inclusion?leaf=0&size=9223372036854775808",
                             "/v1/log/proofs/inclusion?leaf=-9223372036854775808&size=1",
                             "/v1/log/proofs/consistency?from=1&to=18446744073709551616"}) {
        CAPTURE(path);
        auto bad = s.client().Get(path);
        REQUIRE(bad);
        CHECK(bad->status == 400);
        CHECK(error_code(bad) == "request.invalid_parameter");
    }
    auto huge = s.client().Get("/v1/log/proofs/inclusion?leaf=9223372036854775806&size=9223372036854775807");
    REQUIRE(huge);
    CHECK(huge->status == 400);
    CHECK(error_code(huge) == "storage.bad_proof_request");
}
