// The operator's opt-in statistics: the counting rule and the window on their
// own, then GET /v1/sites/{site}/stats/opt-in over real HTTP with receipts
// recorded at known server times.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "service/opt_in_stats.hpp"

namespace {

using consent::server::OptInQuery;
using consent::server::PurposeCounts;
using consent::server::receipt_contribution;
using consent::server::resolve_window;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

constexpr std::int64_t kT0 = 1800000000;  // a whole hour
constexpr std::int64_t kHour = 3600;

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

// Browser-made subject ids (b_ + 22 base64url characters): their grants need no token.
std::string browser_subject(char tag) { return "b_" + std::string(21, 'S') + tag; }

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    return json::parse(r->body);
}

void post_decision(const RunningServer& s, const json& body, const std::string& site = "bike-shop") {
    auto r = s.client().Post(("/v1/sites/" + site + "/decisions").c_str(), {{"Origin", kShopOrigin}}, body.dump(),
                             "application/json");
    REQUIRE(r);
    CAPTURE(r->body);
    REQUIRE(r->status == 201);
}

void decide_at(RunningServer& s, std::int64_t time, const std::string& id, const std::string& subject,
               const std::string& method, const json& extra = json::object(), const std::string& site = "bike-shop") {
    s.set_time(time);
    json body = s.decision(id, subject, method);
    body.update(extra);
    post_decision(s, body, site);
}

httplib::Result stats(const RunningServer& s, const std::string& query, const std::string& key) {
    return s.client().Get(("/v1/sites/bike-shop/stats/opt-in" + query).c_str(), bearer(key));
}

json counts(std::int64_t start, std::int64_t decisions, std::int64_t granted, std::int64_t withdrawn) {
    return {{"start", start}, {"decisions", decisions}, {"granted", granted}, {"withdrawn", withdrawn}};
}

std::string payload(const std::string& method, const json& purposes) {
    return json{{"method", method}, {"purposes", purposes}, {"subject", "b_someone"}}.dump();
}

}  // namespace

TEST_CASE("a decision counts once per purpose it states, and a grant or a withdrawal as such", "[server][stats]") {
    const json states = json::array({{{"id", "necessary"}, {"state", "granted"}},
                                     {{"id", "analytics"}, {"state", "granted"}},
                                     {{"id", "marketing"}, {"state", "denied"}}});
    const auto custom = receipt_contribution(payload("custom", states));
    REQUIRE(custom.ok());
    CHECK(custom->size() == 3);
    CHECK(custom->at("analytics").decisions == 1);
    CHECK(custom->at("analytics").granted == 1);
    CHECK(custom->at("marketing").decisions == 1);
    CHECK(custom->at("marketing").granted == 0);
    CHECK(custom->at("marketing").withdrawn == 0);
    const std::string method = GENERATE("withdraw", "server_withdraw");
    CAPTURE(method);
    const auto withdrawal =
        receipt_contribution(payload(method, json::array({{{"id", "marketing"}, {"state", "denied"}}})));
    REQUIRE(withdrawal.ok());
    REQUIRE(withdrawal->size() == 1);
    CHECK(withdrawal->at("marketing").decisions == 1);
    CHECK(withdrawal->at("marketing").granted == 0);
    CHECK(withdrawal->at("marketing").withdrawn == 1);
}

TEST_CASE("a receipt payload the counting rule cannot read is a storage error, not a zero", "[server][stats]") {
    const std::string text = GENERATE(std::string("not json"), std::string("[]"), std::string(R"({"purposes":[]})"),
                                      std::string(R"({"method":"shout","purposes":[]})"),
                                      std::string(R"({"method":"custom","purposes":{}})"),
                                      std::string(R"({"method":"custom","purposes":[{"id":"analytics"}]})"));
    CAPTURE(text);
    const auto result = receipt_contribution(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "storage.corrupt_row");
}

TEST_CASE("the window defaults to 30 daily buckets up to now and never starts before 0", "[server][stats]") {
    const auto defaults = resolve_window(OptInQuery{}, kT0);
    REQUIRE(defaults.ok());
    CHECK(defaults->bucket_seconds == 86400);
    CHECK(defaults->until == kT0);
    CHECK(defaults->since == kT0 - 30 * 86400);
    CHECK(defaults->bucket_count() == 30);
    const auto early = resolve_window(OptInQuery{3600, std::nullopt, 7200}, kT0);
    REQUIRE(early.ok());
    CHECK(early->since == 0);
    CHECK(early->bucket_count() == 2);
    const auto partial = resolve_window(OptInQuery{60, 0, 61}, kT0);
    REQUIRE(partial.ok());
    CHECK(partial->bucket_count() == 2);  // the last bucket is cut at until
    const auto empty = resolve_window(OptInQuery{60, 5, 5}, kT0);
    REQUIRE(empty.ok());
    CHECK(empty->bucket_count() == 0);
}

TEST_CASE("opt-in statistics count each purpose per bucket of server time, empty buckets as zeros",
          "[server][http][stats]") {
    RunningServer s;
    const std::string a = browser_subject('a'), b = browser_subject('b'), c = browser_subject('c');
    decide_at(s, kT0 - 1, "dec-stats-early", browser_subject('e'), "accept_all");  // before since
    decide_at(s, kT0 + 10, "dec-stats-0001", a, "accept_all");
    decide_at(s, kT0 + kHour - 1, "dec-stats-0002", b, "reject_all");
    decide_at(s, kT0 + kHour, "dec-stats-0003", c, "custom", {{"choices", {{"analytics", true}}}});
    decide_at(s, kT0 + kHour + 1, "dec-stats-other", c, "accept_all", json::object(), "other-site");
    // Bucket 2 stays empty. Bucket 3: a backend withdrawal of A's marketing, and C withdraws everything.
    s.set_time(kT0 + 3 * kHour + 5);
    auto w = s.client().Post(("/v1/sites/bike-shop/subjects/" + a + "/withdrawals").c_str(), bearer(s.shop_key()),
                             R"({"purposes":["marketing"]})", "application/json");
    REQUIRE(w);
    REQUIRE(w->status == 201);
    decide_at(s, kT0 + 3 * kHour + 6, "dec-stats-0004", c, "withdraw");
    decide_at(s, kT0 + 4 * kHour, "dec-stats-late", browser_subject('l'), "reject_all");  // until is excluded

    const std::string query = "?bucket=3600&since=" + std::to_string(kT0) + "&until=" + std::to_string(kT0 + 4 * kHour);
    auto r = stats(s, query, s.shop_key());
    REQUIRE(r);
    CAPTURE(r->body);
    CHECK(r->status == 200);
    const json body = json::parse(r->body);
    CHECK(body["bucket_seconds"] == kHour);
    CHECK(body["since"] == kT0);
    CHECK(body["until"] == kT0 + 4 * kHour);
    REQUIRE(body["purposes"].size() == 2);  // consent purposes only: "necessary" is always on
    CHECK(body["purposes"]["analytics"] ==
          json::array({counts(kT0, 2, 1, 0), counts(kT0 + kHour, 1, 1, 0), counts(kT0 + 2 * kHour, 0, 0, 0),
                       counts(kT0 + 3 * kHour, 1, 0, 1)}));
    CHECK(body["purposes"]["marketing"] ==
          json::array({counts(kT0, 2, 1, 0), counts(kT0 + kHour, 1, 0, 0), counts(kT0 + 2 * kHour, 0, 0, 0),
                       counts(kT0 + 3 * kHour, 2, 0, 2)}));
    REQUIRE(body["notice_versions"].size() == 1);
    const json& version = body["notice_versions"][0];
    CHECK(version["version"] == 3);
    CHECK(version["hash"] == s.notice_hash());
    CHECK(version["material"] == true);
    CHECK(version["published_at"].is_number_integer());
    // Counts only: nothing in the answer names a subject.
    for (const auto& subject : {a, b, c, browser_subject('e'), browser_subject('l')})
        CHECK(r->body.find(subject) == std::string::npos);
    CHECK(r->body.find("subject") == std::string::npos);
}

TEST_CASE("opt-in statistics default to the last 30 days up to the service clock", "[server][http][stats]") {
    RunningServer s;
    decide_at(s, kT0 - 86400 + 1, "dec-stats-day1", browser_subject('a'), "accept_all");
    s.set_time(kT0);
    const json body = body_of(stats(s, "", s.shop_key()));
    CHECK(body["bucket_seconds"] == 86400);
    CHECK(body["until"] == kT0);
    CHECK(body["since"] == kT0 - 30 * 86400);
    const json& analytics = body["purposes"]["analytics"];
    REQUIRE(analytics.size() == 30);
    CHECK(analytics[0] == counts(kT0 - 30 * 86400, 0, 0, 0));
    CHECK(analytics[29] == counts(kT0 - 86400, 1, 1, 0));
    const json shorter = body_of(stats(s, "?bucket=60&since=" + std::to_string(kT0 - 600), s.shop_key()));
    CHECK(shorter["purposes"]["marketing"].size() == 10);
}

TEST_CASE("opt-in statistics need an API key of that very site", "[server][http][stats]") {
    RunningServer s;
    auto none = s.client().Get("/v1/sites/bike-shop/stats/opt-in");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(body_of(none)["error"]["code"] == "auth.missing_key");
    auto other = stats(s, "", s.other_key());
    REQUIRE(other);
    CHECK(other->status == 403);
    CHECK(body_of(other)["error"]["code"] == "auth.wrong_site");
}

TEST_CASE("bad opt-in statistics parameters get 400 and a stable error code", "[server][http][stats]") {
    RunningServer s;
    struct Case {
        const char* query;
        const char* code;
    };
    const Case c = GENERATE(values<Case>({
        {"?bucket=59", "stats.invalid_bucket"},
        {"?bucket=2678401", "stats.invalid_bucket"},
        {"?bucket=0", "stats.invalid_bucket"},
        {"?bucket=abc", "request.invalid_parameter"},
        {"?bucket=", "request.invalid_parameter"},
        {"?bucket=3600.5", "request.invalid_parameter"},
        {"?since=-5", "request.invalid_parameter"},
        {"?until=1e9", "request.invalid_parameter"},
        {"?until=99999999999999999999", "request.invalid_parameter"},
        {"?since=200&until=100", "stats.invalid_range"},
        {"?until=253402300800", "stats.invalid_range"},
        {"?since=253402300800&until=253402300799", "stats.invalid_range"},
        {"?bucket=60&since=0&until=60001", "stats.too_many_buckets"},
        {"?since=0&until=1800000000", "stats.too_many_buckets"},
    }));
    CAPTURE(c.query);
    auto r = stats(s, c.query, s.shop_key());
    REQUIRE(r);
    CAPTURE(r->body);
    CHECK(r->status == 400);
    const json body = json::parse(r->body);
    CHECK(body["error"]["code"] == c.code);
    CHECK(body["error"]["message"].is_string());
}

TEST_CASE("exactly 1000 buckets is allowed, and since = until gives empty series", "[server][http][stats]") {
    RunningServer s;
    const json full = body_of(stats(s, "?bucket=60&since=0&until=60000", s.shop_key()));
    CHECK(full["purposes"]["analytics"].size() == 1000);
    const json none = body_of(stats(s, "?since=500&until=500", s.shop_key()));
    CHECK(none["purposes"]["analytics"] == json::array());
    CHECK(none["purposes"]["marketing"] == json::array());
}
