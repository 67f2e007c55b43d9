// A single consent check whose key, notice and state are in memory is
// answered on the connection loop's thread; one that needs the file is handed
// to a worker (server/storage/memory_only.hpp, issue #11). Either way a
// backend gets the same answer, and /metrics counts the check once.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "storage/memory_only.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::RunningServer;
using nlohmann::json;

json check(const RunningServer& s, const std::string& subject, const std::string& purpose) {
    auto r = s.client().Get(("/v1/sites/bike-shop/subjects/" + subject + "/purposes/" + purpose).c_str(),
                            {{"Authorization", "Bearer " + s.shop_key()}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
}

std::int64_t counter(const RunningServer& s, const std::string& name) {
    auto r = s.client().Get("/metrics");
    REQUIRE(r);
    const auto at = r->body.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stoll(r->body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("memory only: a read refused in the scope marks it, and the scope ends with it", "[server][http]") {
    CHECK_FALSE(consent::server::refuse_storage_io());  // outside any scope: go ahead
    {
        consent::server::MemoryOnlyScope scope;
        CHECK_FALSE(scope.refused());
        CHECK(consent::server::refuse_storage_io());
        CHECK(scope.refused());
        CHECK(consent::server::storage_io_refused());
    }
    CHECK_FALSE(consent::server::storage_io_refused());
    CHECK_FALSE(consent::server::refuse_storage_io());
}

TEST_CASE("a check answers the same from memory as from the file, and is counted once", "[server][http]") {
    RunningServer s;
    const std::int64_t checks_before = counter(s, "consentd_checks_total");
    // Nothing in memory yet (the key, the subject): answered by a worker.
    CHECK(check(s, kBrowserSubject, "analytics")["reason"] == "no_decision");
    const std::int64_t at_once_before = counter(s, "consentd_checks_from_memory_total");
    auto recorded =
        s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", consent::test::kShopOrigin}},
                        s.decision("decision-at-once-1", kBrowserSubject, "accept_all").dump(), "application/json");
    REQUIRE(recorded);
    REQUIRE(recorded->status == 201);
    const std::string receipt_id = json::parse(recorded->body)["receipt_id"];
    // Now all of it is in memory: the loop answers, with the same fields.
    for (int i = 0; i < 3; ++i) {
        const json verdict = check(s, kBrowserSubject, "analytics");
        CHECK(verdict["allowed"] == true);
        CHECK(verdict["reason"] == "granted");
        CHECK(verdict["receipt_id"] == receipt_id);
    }
    CHECK(check(s, kBrowserSubject, "tracking")["reason"] == "unknown_purpose");
    CHECK(counter(s, "consentd_checks_total") == checks_before + 5);
    // All four, or three when the service's notice (read again every 2 s) was
    // due just then and that one check went to a worker.
    const std::int64_t at_once = counter(s, "consentd_checks_from_memory_total") - at_once_before;
    CHECK(at_once >= 3);
    CHECK(at_once <= 4);
    CHECK(s.store().state_cache_stats().hits >= 4);
}
