// The C++ client and its mirror (clients/cpp, issue #15) against a real
// consentd: the service, a real SQLite file and real HTTP on 127.0.0.1 in this
// process, whose clock the test moves so that grants and refusals expire.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent_client/client.hpp"
#include "consent_client/mirror.hpp"
#include "crypto/site_secrets.hpp"
#include "server_fixture.hpp"

namespace {

using consent::client::Client;
using consent::client::Mirror;
using consent::client::MirrorOptions;
using consent::test::RunningServer;
using nlohmann::json;
using std::chrono::milliseconds;

const std::vector<std::string> kPurposes{"necessary", "analytics", "marketing", "unknown_purpose"};

std::string base_url(const RunningServer& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

// A browser-made subject id: b_ + 22 base64url characters.
std::string subject_id(int n) {
    std::string digits = std::to_string(1000000 + n).substr(1);
    return "b_" + (digits + "-cpp-subject-000000000").substr(0, 22);
}

template <class T>
T ok(consent::Result<T> r) {
    if (!r) FAIL(r.error().code << ": " << r.error().message);
    return std::move(r).value();
}

// Posts a decision like the banner, on the current notice; the receipt answer.
json decide(const RunningServer& s, const std::string& subject, const std::string& method,
            json extra = json::object()) {
    static int n = 0;
    const json shown = json::parse(s.client().Get("/v1/sites/bike-shop/notice")->body);
    json body = {{"decision_id", "dec-cpp-" + std::to_string(++n) + "-" + subject.substr(2, 6)},
                 {"subject_id", subject},
                 {"notice_id", shown["notice"]["notice_id"]},
                 {"notice_version", shown["notice"]["version"]},
                 {"notice_hash", shown["hash"]},
                 {"language", "en"},
                 {"method", method}};
    body.update(extra);
    auto r = s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", consent::test::kShopOrigin}}, body.dump(),
                             "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    return json::parse(r->body);
}

MirrorOptions options_for(RunningServer& s, const std::string& backend = "") {
    MirrorOptions o;
    o.stale_after = milliseconds(3000);
    o.clock = [&s] { return s.now(); };
    o.backend = backend;
    return o;
}

}  // namespace

TEST_CASE("C++ client: checks, batch checks, withdrawal and export carry what consentd says", "[clients][cpp]") {
    RunningServer s;
    Client client(base_url(s), "bike-shop", s.shop_key());
    const std::string who = subject_id(1);
    decide(s, who, "accept_all");
    CHECK(ok(client.check(who, "marketing")).allowed);
    const json withdrawn = ok(client.withdraw(who, {"marketing"}));
    const auto verdicts = ok(client.check_many({{who, "marketing"}, {who, "analytics"}}));
    REQUIRE(verdicts.size() == 2);
    CHECK_FALSE(verdicts[0].allowed);
    CHECK(verdicts[0].reason == "withdrawn");
    CHECK(verdicts[0].receipt_id == withdrawn["receipt_id"]);
    CHECK(verdicts[1].allowed);
    CHECK(ok(client.export_subject(who))["receipts"].size() == 2);

    // The server's own code, not a status.
    auto bad = client.check("not a subject!", "marketing");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "request.not_found");
    Client wrong(base_url(s), "bike-shop", s.other_key());
    auto refused = wrong.check(who, "marketing");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "auth.wrong_site");
}

TEST_CASE("C++ client: an unreachable consentd is retried, then a timeout-bounded client.unreachable",
          "[clients][cpp]") {
    consent::client::Options o;
    o.timeout = milliseconds(300);
    o.retries = 2;
    Client client("http://127.0.0.1:9", "bike-shop", "ck_none.none", o);  // the discard port: nobody listens
    const auto started = std::chrono::steady_clock::now();
    auto r = client.check(subject_id(1), "marketing");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "client.unreachable");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("C++ client: the event stream resumes after the last id seen", "[clients][cpp]") {
    RunningServer s;
    Client client(base_url(s), "bike-shop", s.shop_key());
    const json first = decide(s, subject_id(1), "accept_all");
    const json second = decide(s, subject_id(2), "reject_all");
    std::vector<std::int64_t> ids;
    auto ended = client.events(first["log_index"].get<std::int64_t>(), false, milliseconds(3000),
                               [&](const consent::client::Event& e) {
                                   if (e.type == "receipt" && e.id) ids.push_back(*e.id);
                                   return false;  // one is enough
                               });
    CHECK(ended.ok());
    CHECK(ids == std::vector<std::int64_t>{second["log_index"].get<std::int64_t>()});
}

TEST_CASE("C++ mirror: its answers equal consentd's checks on a random workload", "[clients][cpp][mirror]") {
    RunningServer s;
    s.set_time(1780000000);
    Client client(base_url(s), "bike-shop", s.shop_key());
    decide(s, subject_id(100), "accept_all");  // the snapshot holds a subject already
    Mirror mirror(base_url(s), "bike-shop", s.shop_key(), options_for(s));
    REQUIRE(mirror.start());
    std::mt19937 rng(20261203);
    const auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<std::string> subjects;
    for (int i = 0; i < 8; ++i) subjects.push_back(subject_id(100 + i));
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& who : subjects)
        for (const auto& p : kPurposes) pairs.emplace_back(who, p);
    for (const auto& p : kPurposes) pairs.emplace_back(subject_id(999), p);
    const std::vector<std::string> ops{"accept_all", "reject_all",      "custom", "gpc",
                                       "withdraw",   "server_withdraw", "notice", "time"};
    std::set<std::string> reasons;
    for (int step = 0; step < 50; ++step) {
        const std::string& who = subjects[pick(subjects.size())];
        const std::string op = step < 5 ? "accept_all" : ops[pick(ops.size())];
        std::int64_t event_id = mirror.event_id();
        std::int64_t version = mirror.notice_version();
        if (op == "time") {
            s.set_time(s.now() + static_cast<std::int64_t>(20 + pick(100)) * 86400 +
                       static_cast<std::int64_t>(pick(86400)));
        } else if (op == "notice") {
            json notice = json::parse(s.client().Get("/v1/sites/bike-shop/notice")->body)["notice"];
            notice["version"] = notice["version"].get<std::int64_t>() + 1;
            notice["material"] = pick(2) == 0;
            version = ok(client.publish_notice(notice))["version"].get<std::int64_t>();
        } else if (op == "server_withdraw") {
            event_id = ok(client.withdraw(
                who, pick(2) ? std::vector<std::string>{"marketing"} : std::vector<std::string>{}))["log_index"];
        } else if (op == "withdraw") {
            event_id =
                decide(s, who, "withdraw", pick(2) ? json{{"purposes", {"analytics"}}} : json::object())["log_index"];
        } else if (op == "custom" || op == "gpc") {
            json choices = {{"analytics", pick(10) < 6}};
            if (op == "custom") choices["marketing"] = pick(10) < 6;
            event_id = decide(s, who, op, {{"choices", choices}})["log_index"];
        } else {
            event_id = decide(s, who, op)["log_index"];
        }
        CAPTURE(step, op);
        REQUIRE(mirror.wait_for(event_id, version));
        const auto theirs = ok(client.check_many(pairs));
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            const auto mine = mirror.verdict(pairs[i].first, pairs[i].second);
            CAPTURE(pairs[i].first, pairs[i].second);
            CHECK(mine.allowed == theirs[i].allowed);
            CHECK(mine.reason == theirs[i].reason);
            CHECK(mine.receipt_id == theirs[i].receipt_id);
            reasons.insert(mine.reason);
        }
    }
    for (const char* reason :
         {"granted", "denied", "withdrawn", "expired", "notice_changed", "no_decision", "unknown_purpose", "necessary"})
        CHECK(reasons.count(reason) == 1);
}

TEST_CASE("C++ mirror: it acknowledges each applied withdrawal, and denies once its stream is cut",
          "[clients][cpp][mirror]") {
    RunningServer s;
    Client client(base_url(s), "bike-shop", s.shop_key());
    Mirror mirror(base_url(s), "bike-shop", s.shop_key(), options_for(s, "billing"));
    REQUIRE(mirror.start());
    const std::string who = subject_id(7);
    REQUIRE(mirror.wait_for(decide(s, who, "accept_all")["log_index"]));
    CHECK(mirror.allowed(who, "marketing"));
    const json withdrawn = ok(client.withdraw(who, {"marketing"}));
    REQUIRE(mirror.wait_for(withdrawn["log_index"]));
    CHECK(mirror.verdict(who, "marketing").reason == "withdrawn");
    json acks;
    for (int i = 0; i < 100 && acks.empty(); ++i) {
        acks = ok(client.export_subject(who))["acknowledgements"];
        if (acks.empty()) std::this_thread::sleep_for(milliseconds(50));
    }
    REQUIRE(acks.size() == 1);
    CHECK(acks[0]["backend"] == "billing");
    CHECK(acks[0]["receipt_id"] == withdrawn["receipt_id"]);
    CHECK(ok(client.backends())["behind"] == 0);
    CHECK(mirror.errors().empty());

    CHECK(mirror.allowed(who, "analytics"));
    s.http().stop();  // consentd goes away: the stream is cut
    for (int i = 0; i < 100 && mirror.live(); ++i) std::this_thread::sleep_for(milliseconds(20));
    CHECK_FALSE(mirror.live());
    CHECK(mirror.verdict(who, "analytics").reason == consent::client::kMirrorStale);
    mirror.stop();
}

TEST_CASE("C++ mirror: a stream that goes silent (no event, no heartbeat) makes it deny, or ask consentd",
          "[clients][cpp][mirror]") {
    consent::test::ServerOptions quiet;
    quiet.heartbeat_seconds = 3600;  // the stream stays open but says nothing
    RunningServer s(quiet);
    MirrorOptions deny = options_for(s);
    deny.stale_after = milliseconds(600);
    MirrorOptions ask = deny;
    ask.fallback = MirrorOptions::Fallback::ask;
    const std::string who = subject_id(11);
    const json granted = decide(s, who, "accept_all");
    Mirror denying(base_url(s), "bike-shop", s.shop_key(), deny);
    Mirror asking(base_url(s), "bike-shop", s.shop_key(), ask);
    REQUIRE(denying.start());
    REQUIRE(asking.start());
    CHECK(denying.allowed(who, "analytics"));  // live: loaded, and the stream just opened
    for (int i = 0; i < 200 && denying.live(); ++i) std::this_thread::sleep_for(milliseconds(20));
    CHECK_FALSE(denying.live());
    const auto stale = denying.verdict(who, "analytics");
    CHECK_FALSE(stale.allowed);
    CHECK(stale.reason == consent::client::kMirrorStale);
    // Configured to ask: consentd's own answer, the receipt it rests on included.
    for (int i = 0; i < 200 && asking.live(); ++i) std::this_thread::sleep_for(milliseconds(20));
    const auto asked = asking.verdict(who, "analytics");
    CHECK(asked.allowed);
    CHECK(asked.reason == "granted");
    CHECK(asked.receipt_id == granted["receipt_id"]);
    // An event makes it live again at once.
    const json withdrawn = decide(s, who, "withdraw", json{{"purposes", {"analytics"}}});
    REQUIRE(denying.wait_for(withdrawn["log_index"], 0, milliseconds(5000)));
    CHECK(denying.verdict(who, "analytics").reason == "withdrawn");
    denying.stop();
    asking.stop();
}

namespace {

// Polls (bounded) until the mirror denies: an erasure reaches it through the stream.
bool denied_within(const Mirror& mirror, const std::string& who, const std::string& purpose) {
    for (int i = 0; i < 250 && mirror.allowed(who, purpose); ++i) std::this_thread::sleep_for(milliseconds(20));
    return !mirror.allowed(who, purpose);
}

}  // namespace

TEST_CASE("C++ mirror: an erased subject answers no_decision, as consentd's check does", "[clients][cpp][mirror]") {
    RunningServer s;
    Client client(base_url(s), "bike-shop", s.shop_key());
    Mirror mirror(base_url(s), "bike-shop", s.shop_key(), options_for(s));
    REQUIRE(mirror.start());
    const std::string who = subject_id(30);
    const std::string other = subject_id(31);
    decide(s, who, "accept_all");
    REQUIRE(mirror.wait_for(decide(s, other, "accept_all")["log_index"]));
    CHECK(mirror.allowed(who, "analytics"));
    auto erased = s.client().Post(("/v1/sites/bike-shop/subjects/" + who + "/erasure").c_str(),
                                  {{"Authorization", "Bearer " + s.shop_key()}}, R"({"reason":"subject_request"})",
                                  "application/json");
    REQUIRE(erased);
    REQUIRE(erased->status == 201);
    CHECK(denied_within(mirror, who, "analytics"));
    CHECK(mirror.verdict(who, "analytics").reason == "no_decision");
    CHECK(ok(client.check(who, "analytics")).reason == "no_decision");
    CHECK(mirror.event_id() >= json::parse(erased->body)["log_index"].get<std::int64_t>());
    CHECK(mirror.allowed(other, "analytics"));
    CHECK(mirror.subjects() == 1);
    CHECK(mirror.errors().empty());
    mirror.stop();
}

TEST_CASE("C++ mirror: an erasure consentd cannot name (made by another service) reloads the snapshot",
          "[clients][cpp][mirror]") {
    RunningServer s;
    Mirror mirror(base_url(s), "bike-shop", s.shop_key(), options_for(s));
    REQUIRE(mirror.start());
    const std::string who = subject_id(32);
    const std::string other = subject_id(33);
    REQUIRE(mirror.wait_for(decide(s, who, "accept_all")["log_index"]));
    CHECK(mirror.allowed(who, "analytics"));
    // As consentctl erase does: another service on the same file, so the serving
    // one never learns whom; its stream sends the erasure without subjects once
    // the next receipt wakes it.
    consent::server::ConsentService elsewhere(s.store(), s.keys(), [&s] { return s.now(); });
    consent::server::SiteSecrets secrets((s.dir() / "keys").string());
    elsewhere.set_site_secrets(secrets);
    ok(elsewhere.erase_subject("bike-shop", who, "subject_request", "consentctl"));
    const json later = decide(s, other, "accept_all");
    CHECK(denied_within(mirror, who, "analytics"));
    REQUIRE(mirror.wait_for(later["log_index"], 0, milliseconds(10000)));
    CHECK(mirror.verdict(who, "analytics").reason == "no_decision");
    CHECK(mirror.allowed(other, "analytics"));
    CHECK(mirror.subjects() == 1);
    mirror.stop();
}
