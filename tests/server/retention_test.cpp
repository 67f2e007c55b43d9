// Retention (issue #13, docs/erasure.md): a site's period, applied through the
// erasure path, by consentctl's apply and consentd's schedule. The tests move
// the service's clock (RunningServer::set_time) across the notice's maximum
// ages and the period; a real SQLite file, real HTTP on 127.0.0.1.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/log/erasure.hpp"
#include "server_fixture.hpp"
#include "service/retention_schedule.hpp"

namespace {

using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

constexpr std::int64_t kT0 = 1780000000;
constexpr std::int64_t kDay = 86400;
constexpr const char* kGranted = "b_UmV0ZW50aW9uLWdyYW50ZQ";
constexpr const char* kRefused = "b_UmV0ZW50aW9uLXJlZnVzZQ";
// tests/data/notices/shop.json: grants of analytics and marketing are asked
// again after 180 days, a refusal of marketing after 90.
constexpr std::int64_t kGrantAge = 180 * kDay;
constexpr std::int64_t kKeep = 30 * kDay;

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == status);
    return json::parse(r->body);
}

void decide(const RunningServer& s, const std::string& decision_id, const std::string& subject,
            const std::string& method) {
    body_of(s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", kShopOrigin}},
                            s.decision(decision_id, subject, method).dump(), "application/json"),
            201);
}

json exported(const RunningServer& s, const std::string& subject) {
    return body_of(
        s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/export").c_str(), bearer(s.shop_key())), 200);
}

std::string check_reason(const RunningServer& s, const std::string& subject) {
    return body_of(s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/purposes/analytics").c_str(),
                                  bearer(s.shop_key())),
                   200)["reason"];
}

// Report lines of a schedule, kept for the test to read.
struct Lines {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::function<void(const std::string&)> sink() {
        return [this](const std::string& line) {
            std::lock_guard<std::mutex> lock(mutex);
            lines.push_back(line);
        };
    }
};

}  // namespace

TEST_CASE("retention erases a subject only after its receipts have been out of force for the period",
          "[server][retention]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-retain-1", kGranted, "accept_all");
    decide(s, "dec-retain-2", kRefused, "reject_all");
    REQUIRE(s.service().set_retention("bike-shop", kKeep));

    // The refusal is asked again after 90 days, but kept as long as a grant would be.
    s.set_time(kT0 + 120 * kDay);
    auto early = s.service().apply_retention("bike-shop", true);
    REQUIRE(early);
    CHECK(early->subjects_checked == 2);
    CHECK(early->subjects_due == 0);

    s.set_time(kT0 + kGrantAge + kKeep - 1);
    CHECK(s.service().apply_retention("bike-shop", true)->subjects_due == 0);

    // A dry run lists, and erases nothing.
    s.set_time(kT0 + kGrantAge + kKeep);
    auto dry = s.service().apply_retention("bike-shop", true);
    REQUIRE(dry);
    CHECK(dry->subjects_due == 2);
    CHECK(dry->due_indices.size() == 2);
    CHECK(dry->erasures.empty());
    CHECK(exported(s, kGranted)["erased"] == false);

    Lines report;
    consent::server::RetentionSchedule schedule(s.service(), std::chrono::seconds(3600), report.sink());
    const auto pass = schedule.run_once();
    CHECK(pass.sites == 1);
    CHECK(pass.subjects == 2);
    CHECK(pass.receipts == 2);
    CHECK(pass.failures == 0);
    for (const char* subject : {kGranted, kRefused}) {
        CAPTURE(subject);
        const json bundle = exported(s, subject);
        CHECK(bundle["erased"] == true);
        CHECK(bundle["receipts"].empty());
        REQUIRE(bundle["erasures"].size() == 1);
        auto jws = consent::parse_erasure_jws(bundle["erasures"][0]["jws"].get<std::string>());
        REQUIRE(jws);
        auto contents = consent::read_erasure_payload(jws->payload);
        REQUIRE(contents);
        CHECK(contents->facts.reason == "retention");
        CHECK(contents->facts.requested_by == "retention");
        CHECK(check_reason(s, subject) == "no_decision");
    }
    // The log line counts; it names no subject (a log must not undo the erasure).
    REQUIRE(report.lines.size() == 1);
    CHECK_THAT(report.lines[0], Catch::Contains("erased 2 subjects (2 receipts)"));
    CHECK(report.lines[0].find("b_") == std::string::npos);
    // A second pass finds nothing more to do.
    CHECK(schedule.run_once().subjects == 0);
    // The store's audit (consentctl audit runs it): each erased leaf named by its signed erasure receipt.
    auto audit = s.store().rebuild_check();
    INFO((audit ? std::string() : audit.error().code + ": " + audit.error().message));
    CHECK(audit);
}

TEST_CASE("a subject who decided again is kept for the period after the newer decision", "[server][retention]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-retain-3", kGranted, "accept_all");
    s.set_time(kT0 + 100 * kDay);
    decide(s, "dec-retain-4", kGranted, "reject_all");
    REQUIRE(s.service().set_retention("bike-shop", kKeep));
    s.set_time(kT0 + kGrantAge + kKeep);
    CHECK(s.service().apply_retention("bike-shop", false)->subjects_due == 0);
    s.set_time(kT0 + 100 * kDay + kGrantAge + kKeep);
    auto run = s.service().apply_retention("bike-shop", false);
    REQUIRE(run);
    CHECK(run->subjects_due == 1);
    CHECK(run->due_indices.size() == 2);  // both receipts go, in one erasure receipt
    CHECK(run->erasures.size() == 1);
    CHECK(exported(s, kGranted)["erased"] == true);
}

TEST_CASE("a site without a period is left alone, and a negative period is refused", "[server][retention]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-retain-5", kGranted, "accept_all");
    s.set_time(kT0 + 10 * 365 * kDay);
    CHECK(s.service().apply_retention("bike-shop", true).error().code == "retention.none");
    Lines report;
    consent::server::RetentionSchedule schedule(s.service(), std::chrono::seconds(3600), report.sink());
    const auto pass = schedule.run_once();
    CHECK(pass.sites == 0);
    CHECK(pass.subjects == 0);
    CHECK(exported(s, kGranted)["erased"] == false);
    CHECK(s.service().set_retention("bike-shop", -1).error().code == "retention.invalid_period");
    CHECK(s.service().set_retention("no-such-site", kKeep).error().code == "request.not_found");
}

TEST_CASE("consentd's schedule erases on its own thread at start, and stops without waiting an interval",
          "[server][retention][concurrency]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-retain-6", kGranted, "accept_all");
    REQUIRE(s.service().set_retention("bike-shop", 0));
    s.set_time(kT0 + kGrantAge);
    Lines report;
    {
        // An interval of a week: only the first pass, at start, can erase within this test.
        consent::server::RetentionSchedule schedule(s.service(), std::chrono::seconds(7 * kDay), report.sink());
        schedule.start();
        for (int i = 0; i < 500 && exported(s, kGranted)["erased"] != true; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(exported(s, kGranted)["erased"] == true);
    }  // the destructor wakes and joins the thread: the test would hang a week otherwise
    std::lock_guard<std::mutex> lock(report.mutex);
    REQUIRE(report.lines.size() == 1);
    CHECK_THAT(report.lines[0], Catch::Contains("erased 1 subjects"));
}
