// The event stream tells its readers about erasures (issue #13, docs/erasure.md;
// GDPR Art. 17(2), 19): over real HTTP on 127.0.0.1 and a real SQLite file. A
// stream open during an erasure gets "event: erasure" naming the stored subject
// it removed; after a restart the service no longer knows whom (the store never
// keeps it), so a stream resumed from before the erasure gets the event without
// "subjects", which tells a mirror to reload its snapshot.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

constexpr const char* kOtherSubject = "b_T3R0by1icm93c2VyLTAwMD";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

void decide(const RunningServer& s, const std::string& decision_id, const std::string& subject) {
    auto r = s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", kShopOrigin}},
                             s.decision(decision_id, subject, "accept_all").dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
}

// The backend route's answer: status and body (no assertion: it may run off the test's thread).
std::pair<int, std::string> post_erasure(const RunningServer& s, const std::string& subject) {
    auto r = s.client().Post(("/v1/sites/bike-shop/subjects/" + subject + "/erasure").c_str(), bearer(s.shop_key()),
                             R"({"reason":"subject_request"})", "application/json");
    if (!r) return {0, ""};
    return {r->status, r->body};
}

json erase(const RunningServer& s, const std::string& subject) {
    const auto [status, body] = post_erasure(s, subject);
    INFO(body);
    REQUIRE(status == 201);
    return json::parse(body);
}

// The data of the first complete erasure event in a stream's text, or null.
json erasure_event(const std::string& text) {
    const std::string marker = "\nevent: erasure\ndata: ";
    const auto at = text.find(marker);
    if (at == std::string::npos) return nullptr;
    const auto start = at + marker.size();
    const auto end = text.find('\n', start);
    if (end == std::string::npos) return nullptr;
    return json::parse(text.substr(start, end - start));
}

// Reads the site's stream (after last_id, if given) until an erasure event has
// arrived or 10 s have passed; on_receipt runs once, when the first receipt event is in.
std::string read_until_erasure(int port, const std::string& key, const std::string& last_id,
                               const std::function<void()>& on_receipt = {}) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    httplib::Headers h = bearer(key);
    if (!last_id.empty()) h.emplace("Last-Event-ID", last_id);
    std::string received;
    bool receipt_seen = false;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    c.Get("/v1/sites/bike-shop/events", h, [&](const char* data, std::size_t n) {
        received.append(data, n);
        if (!receipt_seen && received.find("\nevent: receipt\n") != std::string::npos) {
            receipt_seen = true;
            if (on_receipt) on_receipt();
        }
        return erasure_event(received).is_null() && std::chrono::steady_clock::now() < give_up;
    });
    return received;
}

}  // namespace

TEST_CASE("a stream open during an erasure is told which stored subject was erased",
          "[server][http][erasure][events]") {
    RunningServer s;
    decide(s, "dec-erev-01", kBrowserSubject);
    std::thread eraser;
    std::pair<int, std::string> answer;
    const std::string text = read_until_erasure(
        s.port(), s.shop_key(), "", [&] { eraser = std::thread([&] { answer = post_erasure(s, kBrowserSubject); }); });
    if (eraser.joinable()) eraser.join();
    INFO(answer.second);
    REQUIRE(answer.first == 201);
    const json erased = json::parse(answer.second);
    const json event = erasure_event(text);
    INFO(text);
    REQUIRE(event.is_object());
    const std::int64_t index = erased["log_index"].get<std::int64_t>();
    CHECK(event["log_index"] == index);
    CHECK(event["erasure_id"] == erased["erasure_id"]);
    CHECK(event["subjects"] == json::array({kBrowserSubject}));
    CHECK(event.contains("server_time"));
    CHECK(text.find("id: " + std::to_string(index) + "\nevent: erasure\n") != std::string::npos);

    // Resumed from before it, the same process still names the subject; the
    // erased receipt itself is no longer in the stream.
    const std::string resumed = read_until_erasure(s.port(), s.shop_key(), "-1");
    CHECK(erasure_event(resumed)["subjects"] == json::array({kBrowserSubject}));
    CHECK(resumed.find("\nevent: receipt\n") == std::string::npos);
}

TEST_CASE("after a restart a stream resumed from before an erasure gets it without subjects: resync",
          "[server][http][erasure][events]") {
    RunningServer s;
    decide(s, "dec-erev-02", kBrowserSubject);
    decide(s, "dec-erev-03", kOtherSubject);
    const json erased = erase(s, kBrowserSubject);
    const std::int64_t index = erased["log_index"].get<std::int64_t>();

    // A new service on the same file: what the old one remembered is gone.
    consent::server::ConsentService restarted(s.store(), s.keys(), [&s] { return s.now(); });
    consent::server::ServerConfig config;
    config.port = 0;
    config.worker_threads = 2;
    config.event_heartbeat_seconds = 1;
    consent::server::HttpServer http(restarted, config);
    const int port = http.bind();
    REQUIRE(port > 0);
    std::thread serving([&] { http.serve(); });

    const std::string text = read_until_erasure(port, s.shop_key(), "0");
    http.stop();
    serving.join();
    INFO(text);
    const json event = erasure_event(text);
    REQUIRE(event.is_object());
    CHECK(event["log_index"] == index);
    CHECK(event["erasure_id"] == erased["erasure_id"]);
    CHECK_FALSE(event.contains("subjects"));
    // The other subject's receipt is still streamed before it.
    CHECK(text.find("id: 1\nevent: receipt\n") != std::string::npos);
}
