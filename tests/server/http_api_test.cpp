// consentd's HTTP API over real HTTP on 127.0.0.1: every route and its errors.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <ctime>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "consent/log/receipt.hpp"
#include "fixtures.hpp"
#include "server_fixture.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    return json::parse(r->body);
}

std::string error_code(const httplib::Result& r) { return body_of(r)["error"]["code"].get<std::string>(); }

httplib::Result post_decision(const RunningServer& s, const json& body, const std::string& origin = kShopOrigin) {
    httplib::Headers h;
    if (!origin.empty()) h.emplace("Origin", origin);
    return s.client().Post("/v1/sites/bike-shop/decisions", h, body.dump(), "application/json");
}

httplib::Result check(const RunningServer& s, const std::string& subject, const std::string& purpose,
                      const std::string& key) {
    return s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/purposes/" + purpose).c_str(), bearer(key));
}

}  // namespace

TEST_CASE("the banner fetches the current notice with its hash and an ETag", "[server][http]") {
    RunningServer s;
    auto r = s.client().Get("/v1/sites/bike-shop/notice", {{"Origin", kShopOrigin}});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
    CHECK(r->get_header_value("Access-Control-Expose-Headers") == "Retry-After, X-Request-Id");
    CHECK_FALSE(r->get_header_value("X-Request-Id").empty());
    const json body = json::parse(r->body);
    CHECK(body["hash"] == s.notice_hash());
    CHECK(body["notice"]["notice_id"] == "bike-shop");
    const std::string etag = r->get_header_value("ETag");
    CHECK(etag == "\"" + s.notice_hash() + "\"");
    auto again = s.client().Get("/v1/sites/bike-shop/notice", {{"If-None-Match", etag}});
    REQUIRE(again);
    CHECK(again->status == 304);
}

TEST_CASE("the first-visit banner view: the core's view with every switch off, in the visitor's language",
          "[server][http]") {
    RunningServer s;
    auto r = s.client().Get("/v1/sites/bike-shop/banner-view?languages=de-AT,en&gpc=1", {{"Origin", kShopOrigin}});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
    const json body = json::parse(r->body);
    CHECK(body["hash"] == s.notice_hash());
    CHECK(body["notice_id"] == "bike-shop");
    CHECK(body["last_material_version"] == 3);
    // The same notice as GET …/notice serves, so the banner needs only this request on a first visit.
    CHECK(body["notice"] == body_of(s.client().Get("/v1/sites/bike-shop/notice"))["notice"]);
    const json& view = body["view"];
    CHECK(view["language"] == "de");
    CHECK(view["prompt"] == true);
    CHECK(view["gpc_applied"] == true);
    for (const auto& p : view["purposes"]) {
        CAPTURE(p["id"]);
        CHECK(p["checked"] == (p["necessary"] == true));
        if (p["id"] == "marketing") CHECK(p["gpc_locked"] == true);
    }
    // What each button records comes from the core too: under GPC, method gpc for every click.
    CHECK(body["gpc"] == true);
    CHECK(body["allowed"] == json({{"necessary", true}, {"analytics", false}, {"marketing", false}}));
    json clicks = body["clicks"];
    // And what the page allows once accept or reject holds: under GPC, accepting leaves marketing (sale) off.
    CHECK(clicks["accept"]["allowed"] == json({{"necessary", true}, {"analytics", true}, {"marketing", false}}));
    CHECK(clicks["reject"]["allowed"] == json({{"necessary", true}, {"analytics", false}, {"marketing", false}}));
    CHECK(clicks["accept"]["consent_mode"]["analytics_storage"] == "granted");
    CHECK(clicks["accept"]["consent_mode"]["ad_storage"] == "denied");
    for (const char* name : {"accept", "reject"}) {
        clicks[name].erase("allowed");
        clicks[name].erase("consent_mode");
    }
    CHECK(clicks == json({{"accept", {{"method", "gpc"}, {"choices", {{"analytics", true}}}}},
                          {"reject", {{"method", "gpc"}, {"choices", {{"analytics", false}}}}},
                          {"save", {{"method", "gpc"}}}}));
    auto plain = body_of(s.client().Get("/v1/sites/bike-shop/banner-view", {{"Origin", kShopOrigin}}));
    CHECK(plain["view"]["gpc_applied"] == false);
    CHECK(plain["gpc"] == false);
    CHECK(plain["clicks"]["accept"]["allowed"] ==
          json({{"necessary", true}, {"analytics", true}, {"marketing", true}}));
    CHECK(plain["clicks"]["accept"]["method"] == "accept_all");
    CHECK(plain["clicks"]["reject"]["method"] == "reject_all");
    CHECK(plain["clicks"]["save"] == json({{"method", "custom"}}));
    auto foreign = s.client().Get("/v1/sites/bike-shop/banner-view", {{"Origin", "https://evil.example"}});
    REQUIRE(foreign);
    CHECK(foreign->status == 403);
    CHECK(error_code(s.client().Get("/v1/sites/no-such-site/banner-view")) == "request.not_found");
}

TEST_CASE("a posted decision returns a signed receipt and the next check reflects it", "[server][http]") {
    RunningServer s;
    json d = s.decision("dec-http-0001", kBrowserSubject, "custom");
    d["choices"] = {{"analytics", true}};
    auto r = post_decision(s, d);
    REQUIRE(r);
    CHECK(r->status == 201);
    const json answer = json::parse(r->body);
    CHECK(answer["replayed"] == false);
    CHECK(consent::server::verify_receipt_jws(s.keys(), answer["receipt"].get<std::string>()).ok());
    const json allowed = body_of(check(s, kBrowserSubject, "analytics", s.shop_key()));
    CHECK(allowed["allowed"] == true);
    CHECK(allowed["reason"] == "granted");
    CHECK(allowed["receipt_id"] == answer["receipt_id"]);
    CHECK(body_of(check(s, kBrowserSubject, "marketing", s.shop_key()))["allowed"] == false);
}

TEST_CASE("retrying a decision id returns the same receipt, never a second one", "[server][http]") {
    RunningServer s;
    const json d = s.decision("dec-http-retry", kBrowserSubject, "accept_all");
    auto first = post_decision(s, d);
    auto second = post_decision(s, d);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->status == 201);
    CHECK(second->status == 200);
    CHECK(json::parse(second->body)["replayed"] == true);
    CHECK(json::parse(first->body)["receipt"] == json::parse(second->body)["receipt"]);
    CHECK(*s.store().receipt_count() == 1);
}

TEST_CASE("a withdrawal from the backend denies the very next check (Art. 7(3))", "[server][http]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-http-grant", kBrowserSubject, "accept_all"))->status == 201);
    REQUIRE(body_of(check(s, kBrowserSubject, "marketing", s.shop_key()))["allowed"] == true);
    auto w = s.client().Post((std::string("/v1/sites/bike-shop/subjects/") + kBrowserSubject + "/withdrawals").c_str(),
                             bearer(s.shop_key()), R"({"purposes":["marketing"]})", "application/json");
    REQUIRE(w);
    CHECK(w->status == 201);
    const json denied = body_of(check(s, kBrowserSubject, "marketing", s.shop_key()));
    CHECK(denied["allowed"] == false);
    CHECK(denied["reason"] == "withdrawn");
    CHECK(body_of(check(s, kBrowserSubject, "analytics", s.shop_key()))["allowed"] == true);
}

TEST_CASE("a forged grant for someone's known account id is refused", "[server][http]") {
    RunningServer s;
    auto forged = post_decision(s, s.decision("dec-http-forge", "user-42", "accept_all"));
    REQUIRE(forged);
    CHECK(forged->status == 403);
    CHECK(error_code(forged) == "subject.token_required");
    CHECK(body_of(check(s, "user-42", "marketing", s.shop_key()))["allowed"] == false);
}

TEST_CASE("bad decision bodies get a clear JSON error and store nothing", "[server][http]") {
    RunningServer s;
    struct Case {
        std::string body;
        std::string content_type;
        int status;
        std::string code;
    };
    json unknown = s.decision("dec-http-unk1", kBrowserSubject, "accept_all");
    unknown["preselected"] = true;
    json wrong_type = s.decision("dec-http-type", kBrowserSubject, "accept_all");
    wrong_type["notice_version"] = "3";
    json long_id = s.decision("dec-http-long", std::string(200, 'a'), "reject_all");
    json bad_hash = s.decision("dec-http-hash", kBrowserSubject, "accept_all");
    bad_hash["notice_hash"] = std::string(64, '0');
    json unknown_purpose = s.decision("dec-http-purp", kBrowserSubject, "custom");
    unknown_purpose["choices"] = {{"tracking", true}};
    const auto c = GENERATE_COPY(values<Case>({
        {"{not json", "application/json", 400, "json.parse_error"},
        {R"({"a":1,"a":2})", "application/json", 400, "jcs.duplicate_key"},
        {"[]", "application/json", 400, "request.wrong_type"},
        {"{}", "application/xml", 415, "request.unsupported_media_type"},
        {unknown.dump(), "application/json", 400, "decision.unknown_field"},
        {wrong_type.dump(), "application/json", 400, "decision.wrong_type"},
        {long_id.dump(), "application/json", 400, "decision.too_long"},
        {bad_hash.dump(), "application/json", 409, "decision.notice_hash_mismatch"},
        {unknown_purpose.dump(), "application/json", 400, "decision.unknown_purpose"},
    }));
    CAPTURE(c.body, c.code);
    auto r = s.client().Post("/v1/sites/bike-shop/decisions", c.body, c.content_type.c_str());
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(error_code(r) == c.code);
    CHECK(*s.store().receipt_count() == 0);
}

TEST_CASE("a body over the limit is refused with 413 and a JSON error", "[server][http]") {
    RunningServer s;
    json d = s.decision("dec-http-big1", kBrowserSubject, "reject_all");
    d["context"] = {{"origin", std::string(20000, 'x')}};
    auto r = post_decision(s, d);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(error_code(r) == "request.body_too_large");
}

TEST_CASE("an origin not on the site's allowlist cannot post or read", "[server][http]") {
    RunningServer s;
    auto r = post_decision(s, s.decision("dec-http-orig", kBrowserSubject, "accept_all"), "https://evil.example");
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(error_code(r) == "request.origin_not_allowed");
    CHECK(r->get_header_value("Access-Control-Allow-Origin").empty());
    auto preflight = s.client().Options("/v1/sites/bike-shop/decisions", {{"Origin", kShopOrigin}});
    REQUIRE(preflight);
    CHECK(preflight->status == 204);
    CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
}

TEST_CASE("a decision sent as text/plain (a CORS-simple request, no preflight) is recorded as one sent as JSON",
          "[server][http]") {
    RunningServer s;
    const json d = s.decision("dec-http-text", kBrowserSubject, "reject_all");
    httplib::Headers origin{{"Origin", kShopOrigin}};
    auto r = s.client().Post("/v1/sites/bike-shop/decisions", origin, d.dump(), "text/plain;charset=UTF-8");
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(r->get_header_value("Access-Control-Allow-Origin") == kShopOrigin);
    CHECK(consent::server::verify_receipt_jws(s.keys(), json::parse(r->body)["receipt"].get<std::string>()).ok());
    // The allowlist holds for it as for any other: the browser sends it without asking first.
    auto foreign = s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", "https://evil.example"}},
                                   s.decision("dec-http-tex2", kBrowserSubject, "accept_all").dump(), "text/plain");
    REQUIRE(foreign);
    CHECK(foreign->status == 403);
    CHECK(*s.store().receipt_count() == 1);
    // Only the public decision route takes it: the backend's routes still want application/json.
    auto checks = s.client().Post("/v1/sites/bike-shop/checks", {{"Authorization", "Bearer " + s.shop_key()}}, "{}",
                                  "text/plain");
    REQUIRE(checks);
    CHECK(checks->status == 415);
}

TEST_CASE("the public endpoints are rate limited per client", "[server][http]") {
    consent::test::ServerOptions options;
    options.rate_per_minute = 1;
    options.rate_burst = 3;
    RunningServer s(options);
    int limited = 0;
    for (int i = 0; i < 6; ++i) {
        auto r = s.client().Get("/v1/sites/bike-shop/notice");
        REQUIRE(r);
        if (r->status == 429) {
            ++limited;
            CHECK(error_code(r) == "request.rate_limited");
        }
    }
    CHECK(limited == 3);
}

TEST_CASE("backend routes need a valid key for that very site", "[server][http]") {
    RunningServer s;
    const std::string path = std::string("/v1/sites/bike-shop/subjects/") + kBrowserSubject + "/purposes/analytics";
    auto none = s.client().Get(path.c_str());
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(error_code(none) == "auth.missing_key");
    auto wrong = s.client().Get(path.c_str(), bearer(s.shop_key() + "x"));
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    CHECK(error_code(wrong) == "auth.invalid_key");
    auto other = s.client().Get(path.c_str(), bearer(s.other_key()));
    REQUIRE(other);
    CHECK(other->status == 403);
    CHECK(error_code(other) == "auth.wrong_site");
}

TEST_CASE("checks for an unknown purpose or subject answer denied, not an error", "[server][http]") {
    RunningServer s;
    const json unknown_purpose = body_of(check(s, kBrowserSubject, "tracking", s.shop_key()));
    CHECK(unknown_purpose["allowed"] == false);
    CHECK(unknown_purpose["reason"] == "unknown_purpose");
    const json unknown_subject = body_of(check(s, "nobody-here", "analytics", s.shop_key()));
    CHECK(unknown_subject["allowed"] == false);
    CHECK(unknown_subject["reason"] == "no_decision");
    auto site = s.client().Get("/v1/sites/no-such-site/notice");
    REQUIRE(site);
    CHECK(site->status == 404);
    CHECK(error_code(site) == "request.not_found");
}

TEST_CASE("a batch of checks answers each pair in order", "[server][http]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-http-batch", kBrowserSubject, "accept_all"))->status == 201);
    const json body = {{"checks",
                        {{{"subject", kBrowserSubject}, {"purpose", "analytics"}},
                         {{"subject", "someone-else"}, {"purpose", "analytics"}},
                         {{"subject", kBrowserSubject}, {"purpose", "necessary"}}}}};
    auto r = s.client().Post("/v1/sites/bike-shop/checks", bearer(s.shop_key()), body.dump(), "application/json");
    const json results = body_of(r)["results"];
    REQUIRE(results.size() == 3);
    CHECK(results[0]["allowed"] == true);
    CHECK(results[1]["allowed"] == false);
    CHECK(results[2]["reason"] == "necessary");
}

TEST_CASE("a subject's export holds every receipt and the exact notice text shown", "[server][http]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-http-exp1", kBrowserSubject, "accept_all"))->status == 201);
    REQUIRE(post_decision(s, s.decision("dec-http-exp2", kBrowserSubject, "reject_all"))->status == 201);
    auto r = s.client().Get((std::string("/v1/sites/bike-shop/subjects/") + kBrowserSubject + "/export").c_str(),
                            bearer(s.shop_key()));
    const json bundle = body_of(r);
    REQUIRE(bundle["receipts"].size() == 2);
    CHECK(bundle["notices"]["3"]["hash"] == s.notice_hash());
    CHECK(bundle["keys"]["keys"].size() == 1);
    for (const auto& receipt : bundle["receipts"])
        CHECK(consent::server::verify_receipt_jws(s.keys(), receipt["jws"].get<std::string>()).ok());
}

TEST_CASE("publishing a notice version is validated by the core and never replaces one", "[server][http]") {
    RunningServer s;
    json notice = json::parse(R"({"x":1})");
    auto bad = s.client().Post("/v1/sites/bike-shop/notices", bearer(s.shop_key()), notice.dump(), "application/json");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    auto next = consent::test::shop_notice_json();
    next["version"] = 4;
    next["material"] = false;
    auto ok = s.client().Post("/v1/sites/bike-shop/notices", bearer(s.shop_key()), next.dump(), "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 201);
    auto again = s.client().Post("/v1/sites/bike-shop/notices", bearer(s.shop_key()), next.dump(), "application/json");
    REQUIRE(again);
    CHECK(again->status == 409);
}

TEST_CASE("the JWKS, health and metrics endpoints are open", "[server][http]") {
    RunningServer s;
    const json jwks = body_of(s.client().Get("/.well-known/jwks.json"));
    REQUIRE(jwks["keys"].size() == 1);
    CHECK(jwks["keys"][0]["kty"] == "OKP");
    CHECK(jwks["keys"][0]["crv"] == "Ed25519");
    CHECK(body_of(s.client().Get("/healthz"))["status"] == "ok");
    auto metrics = s.client().Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("consentd_http_requests_total") != std::string::npos);
    auto missing = s.client().Get("/no/such/route");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(error_code(missing) == "request.not_found");
}

TEST_CASE("the keys and the log are readable from any origin, health and metrics are not offered to pages",
          "[server][http][log]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-http-cors1", kBrowserSubject, "accept_all"))->status == 201);
    const httplib::Headers from_anywhere = {{"Origin", "https://auditor.example"}};
    for (const char* path : {"/.well-known/jwks.json", "/v1/log/checkpoint", "/v1/log/proofs/inclusion?leaf=0&size=1",
                             "/v1/log/proofs/consistency?from=1&to=1"}) {
        CAPTURE(path);
        auto r = s.client().Get(path, from_anywhere);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->get_header_value("Access-Control-Allow-Origin") == "*");
    }
    for (const char* path : {"/healthz", "/metrics"}) {
        auto r = s.client().Get(path, from_anywhere);
        REQUIRE(r);
        CHECK_FALSE(r->has_header("Access-Control-Allow-Origin"));
    }
}

TEST_CASE("the event stream delivers each receipt and resumes after Last-Event-ID without a gap",
          "[server][http][concurrency]") {
    RunningServer s;
    REQUIRE(post_decision(s, s.decision("dec-http-ev01", kBrowserSubject, "accept_all"))->status == 201);
    REQUIRE(post_decision(s, s.decision("dec-http-ev02", kBrowserSubject, "reject_all"))->status == 201);
    // Read the stream until two events have arrived, then hang up.
    auto read_events = [&](const std::string& last_id, std::size_t want) {
        std::string received;
        httplib::Headers h = bearer(s.shop_key());
        if (!last_id.empty()) h.emplace("Last-Event-ID", last_id);
        s.client().Get("/v1/sites/bike-shop/events", h, [&](const char* data, std::size_t n) {
            received.append(data, n);
            std::size_t count = 0;
            for (std::size_t p = 0; (p = received.find("\nevent: receipt", p)) != std::string::npos; ++p) ++count;
            return count < want;
        });
        return received;
    };
    const std::string all = read_events("", 2);
    CHECK(all.find("id: 0\n") != std::string::npos);
    CHECK(all.find("id: 1\n") != std::string::npos);
    std::thread later([&] { post_decision(s, s.decision("dec-http-ev03", kBrowserSubject, "accept_all")); });
    const std::string resumed = read_events("0", 2);
    later.join();
    CHECK(resumed.find("id: 0\n") == std::string::npos);
    CHECK(resumed.find("id: 1\n") != std::string::npos);
    CHECK(resumed.find("id: 2\n") != std::string::npos);
}

#include "consent/consent/subject_trust.hpp"

namespace {

using consent::test::SiteBackend;

httplib::Result post_with_token(const RunningServer& s, const json& body, const std::string& token) {
    return s.client().Post("/v1/sites/bike-shop/decisions", {{"Consent-Subject-Token", token}}, body.dump(),
                           "application/json");
}

}  // namespace

TEST_CASE("a grant for a known account id is accepted with a subject token from the site's backend",
          "[server][http][trust]") {
    RunningServer s;
    SiteBackend backend;
    s.register_subject_key("bike-shop", backend.public_key());
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const json claims = {{"site", "bike-shop"}, {"sub", "user-42"}, {"iat", now}, {"exp", now + 600}};

    auto accepted = post_with_token(s, s.decision("dec-token-0001", "user-42", "accept_all"), backend.token(claims));
    REQUIRE(accepted);
    CHECK(accepted->status == 201);
    CHECK(body_of(check(s, "user-42", "marketing", s.shop_key()))["allowed"] == true);

    struct Case {
        json claims;
        std::string code;
    };
    json other_subject = claims;
    other_subject["sub"] = "user-43";
    json expired = claims;
    expired["iat"] = now - 1200;
    expired["exp"] = now - 600;
    json long_lived = claims;
    long_lived["exp"] = now + 86400;
    json other_site = claims;
    other_site["site"] = "other-site";
    const auto c = GENERATE_COPY(values<Case>({{other_subject, "subject.token_wrong_subject"},
                                               {expired, "subject.token_expired"},
                                               {long_lived, "subject.token_too_long_lived"},
                                               {other_site, "subject.token_wrong_site"}}));
    CAPTURE(c.code);
    auto refused = post_with_token(s, s.decision("dec-token-0002", "user-42", "accept_all"), backend.token(c.claims));
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(error_code(refused) == c.code);
}

TEST_CASE("a subject token signed by a key the site never registered is refused", "[server][http][trust]") {
    RunningServer s;
    SiteBackend stranger;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const json claims = {{"site", "bike-shop"}, {"sub", "user-42"}, {"iat", now}, {"exp", now + 600}};
    auto r = post_with_token(s, s.decision("dec-token-0003", "user-42", "accept_all"), stranger.token(claims));
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(error_code(r) == "subject.token_invalid");
    auto garbage = post_with_token(s, s.decision("dec-token-0004", "user-42", "accept_all"), "not.a.token");
    REQUIRE(garbage);
    CHECK(garbage->status == 403);
    CHECK(error_code(garbage) == "subject.token_invalid");
    CHECK(*s.store().receipt_count() == 0);
}

TEST_CASE("a batch of 1000 checks fits the backend body limit and 1001 is refused", "[server][http]") {
    RunningServer s;
    json checks = json::array();
    for (int i = 0; i < 1000; ++i)
        checks.push_back({{"subject", "subject-" + std::to_string(i)}, {"purpose", "analytics"}});
    auto full = s.client().Post("/v1/sites/bike-shop/checks", bearer(s.shop_key()), json{{"checks", checks}}.dump(),
                                "application/json");
    REQUIRE(full);
    CHECK(full->status == 200);
    CHECK(json::parse(full->body)["results"].size() == 1000);
    checks.push_back({{"subject", "one-too-many"}, {"purpose", "analytics"}});
    auto over = s.client().Post("/v1/sites/bike-shop/checks", bearer(s.shop_key()), json{{"checks", checks}}.dump(),
                                "application/json");
    REQUIRE(over);
    CHECK(over->status == 400);
    CHECK(error_code(over) == "request.too_many_checks");
}

#include "consent/log/checkpoint.hpp"
#include "consent/log/merkle.hpp"

namespace {

std::vector<std::vector<std::uint8_t>> proof_bytes(const json& list) {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& h : list) out.push_back(*consent::base64_decode(h.get<std::string>()));
    return out;
}

std::vector<std::uint8_t> bytes_of(const consent::merkle::Hash& h) { return {h.begin(), h.end()}; }

}  // namespace

TEST_CASE("a decision's answer carries a signed checkpoint and an inclusion proof that verify offline",
          "[server][http][log]") {
    RunningServer s;
    for (int i = 0; i < 5; ++i)
        REQUIRE(
            post_decision(s, s.decision("dec-log-000" + std::to_string(i), kBrowserSubject, "reject_all"))->status ==
            201);
    auto r = post_decision(s, s.decision("dec-log-0099", kBrowserSubject, "accept_all"));
    const json answer = body_of(r);
    REQUIRE(answer.contains("checkpoint"));
    auto note = consent::checkpoint::parse(answer["checkpoint"].get<std::string>());
    REQUIRE(note.ok());
    const auto* key = s.keys().find(s.keys().active_kid());
    REQUIRE(key != nullptr);
    CHECK(consent::checkpoint::verify(*note, "consentd/receipts", "consentd/receipts", key->bytes.data()).ok());
    CHECK(note->body.tree_size == answer["tree_size"]);
    const auto leaf = consent::merkle::leaf_hash(answer["receipt"].get<std::string>());
    CHECK(consent::merkle::verify_inclusion(answer["log_index"].get<std::uint64_t>(), note->body.tree_size,
                                            bytes_of(leaf), proof_bytes(answer["inclusion_proof"]),
                                            bytes_of(note->body.root))
              .ok());
}

TEST_CASE("the log serves its checkpoint and consistent proofs between tree sizes", "[server][http][log]") {
    RunningServer s;
    auto empty = s.client().Get("/v1/log/checkpoint");
    REQUIRE(empty);
    CHECK(empty->status == 404);
    REQUIRE(post_decision(s, s.decision("dec-logc-001", kBrowserSubject, "accept_all"))->status == 201);
    auto first = consent::checkpoint::parse(s.client().Get("/v1/log/checkpoint")->body);
    REQUIRE(first.ok());
    for (int i = 2; i < 9; ++i)
        REQUIRE(
            post_decision(s, s.decision("dec-logc-00" + std::to_string(i), kBrowserSubject, "reject_all"))->status ==
            201);
    auto latest = consent::checkpoint::parse(s.client().Get("/v1/log/checkpoint")->body);
    REQUIRE(latest.ok());
    CHECK(latest->body.tree_size == 8);
    const std::string path = "/v1/log/proofs/consistency?from=" + std::to_string(first->body.tree_size) +
                             "&to=" + std::to_string(latest->body.tree_size);
    const json consistency = body_of(s.client().Get(path.c_str()));
    CHECK(consent::merkle::verify_consistency(static_cast<std::uint64_t>(first->body.tree_size), 8,
                                              bytes_of(first->body.root), bytes_of(latest->body.root),
                                              proof_bytes(consistency["proof"]))
              .ok());
    const json inclusion = body_of(s.client().Get("/v1/log/proofs/inclusion?leaf=3&size=8"));
    CHECK(inclusion["proof"].size() == 3);
    auto bad = s.client().Get("/v1/log/proofs/inclusion?leaf=9&size=8");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(error_code(bad) == "storage.bad_proof_request");
    auto junk = s.client().Get("/v1/log/proofs/inclusion?leaf=x&size=8");
    REQUIRE(junk);
    CHECK(error_code(junk) == "request.invalid_parameter");
}

TEST_CASE("every proof the server returns agrees with an independent in-memory tree of its receipts",
          "[server][http][log]") {
    RunningServer s;
    std::vector<consent::merkle::Hash> leaves;  // the independent tree: leaf hashes of the receipts we were given
    for (int i = 0; i < 13; ++i) {
        const json answer = body_of(post_decision(s, s.decision("dec-tree-" + std::to_string(100 + i), kBrowserSubject,
                                                                i % 2 ? "accept_all" : "reject_all")));
        REQUIRE(answer["log_index"] == i);
        leaves.push_back(consent::merkle::leaf_hash(answer["receipt"].get<std::string>()));
        // The checkpoint handed out with the receipt has exactly our tree's root.
        auto note = consent::checkpoint::parse(answer["checkpoint"].get<std::string>());
        REQUIRE(note.ok());
        const std::vector<consent::merkle::Hash> prefix(leaves.begin(), leaves.begin() + note->body.tree_size);
        CHECK(note->body.root == consent::merkle::root_from_leaf_hashes(prefix));
    }
    for (std::size_t size = 1; size <= leaves.size(); ++size) {
        const std::vector<consent::merkle::Hash> prefix(leaves.begin(), leaves.begin() + static_cast<long>(size));
        for (std::size_t leaf = 0; leaf < size; ++leaf) {
            CAPTURE(size, leaf);
            const std::string path =
                "/v1/log/proofs/inclusion?leaf=" + std::to_string(leaf) + "&size=" + std::to_string(size);
            const json served = body_of(s.client().Get(path.c_str()));
            auto expected = consent::merkle::inclusion_proof(prefix, leaf);
            REQUIRE(expected.ok());
            CHECK(proof_bytes(served["proof"]) == [&] {
                std::vector<std::vector<std::uint8_t>> out;
                for (const auto& h : *expected) out.push_back(bytes_of(h));
                return out;
            }());
        }
        for (std::size_t from = 1; from < size; ++from) {
            CAPTURE(size, from);
            const std::string path =
                "/v1/log/proofs/consistency?from=" + std::to_string(from) + "&to=" + std::to_string(size);
            const json served = body_of(s.client().Get(path.c_str()));
            auto expected = consent::merkle::consistency_proof(prefix, from);
            REQUIRE(expected.ok());
            CHECK(served["proof"].size() == expected->size());
            CHECK(consent::merkle::verify_consistency(
                      from, size,
                      bytes_of(consent::merkle::root_from_leaf_hashes(std::vector<consent::merkle::Hash>(
                          prefix.begin(), prefix.begin() + static_cast<long>(from)))),
                      bytes_of(consent::merkle::root_from_leaf_hashes(prefix)), proof_bytes(served["proof"]))
                      .ok());
        }
    }
}
