// docs/openapi.json is checked against the real routes: every documented
// operation exists on a running consentd and answers with a documented status.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "test_files.hpp"

namespace {

using nlohmann::json;

std::string fill(std::string path) {
    const std::pair<const char*, const char*> params[] = {
        {"{site}", "bike-shop"}, {"{subject}", consent::test::kBrowserSubject}, {"{purpose}", "analytics"}};
    for (const auto& [name, value] : params) {
        const auto at = path.find(name);
        if (at != std::string::npos) path.replace(at, std::string(name).size(), value);
    }
    return path;
}

httplib::Result call(const consent::test::RunningServer& s, const std::string& method, const std::string& path) {
    const httplib::Headers h = {{"Authorization", "Bearer " + s.shop_key()}, {"Origin", consent::test::kShopOrigin}};
    auto c = s.client();
    if (method == "get" && path.find("/events") != std::string::npos) {
        // Open the stream and hang up at the first bytes.
        return c.Get(path.c_str(), h, [](const char*, std::size_t) { return false; });
    }
    if (method == "get") return c.Get(path.c_str(), h);
    if (method == "options") return c.Options(path.c_str(), h);
    return c.Post(path.c_str(), h, "{}", "application/json");
}

}  // namespace

TEST_CASE("every operation in docs/openapi.json exists and answers a documented status", "[server][openapi]") {
    const json doc = json::parse(consent::test::read_file(std::string(CONSENT_SOURCE_DIR) + "/docs/openapi.json"));
    consent::test::RunningServer s;
    std::size_t operations = 0;
    for (const auto& [path, item] : doc["paths"].items()) {
        for (const auto& [method, operation] : item.items()) {
            CAPTURE(path, method);
            auto r = call(s, method, fill(path));
            if (method == "get" && path.find("/events") != std::string::npos) {
                CHECK(r.error() == httplib::Error::Canceled);  // the stream opened and was read
            } else {
                REQUIRE(r);
                CAPTURE(r->status, r->body);
                CHECK(operation["responses"].contains(std::to_string(r->status)));
            }
            ++operations;
        }
    }
    CHECK(operations == 25);
}
