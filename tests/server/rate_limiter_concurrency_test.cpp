// The public endpoints' token buckets (server/http/rate_limiter.hpp), hammered
// from many threads at once: the HTTP worker pool calls allow() concurrently.
// Also run under ThreadSanitizer ([concurrency], scripts/test.sh).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "http/rate_limiter.hpp"

namespace {

using consent::server::RateLimiter;

// Runs body(t) on `threads` threads started together, and waits for all.
template <class Body>
void on_threads(int threads, Body body) {
    std::atomic<bool> go{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            body(t);
        });
    go = true;
    for (auto& w : workers) w.join();
}

}  // namespace

TEST_CASE("many threads taking tokens of one client at one moment get exactly the burst",
          "[server][http][concurrency]") {
    RateLimiter limiter(60, 100);  // one token a second, 100 at once
    std::atomic<int> allowed{0};
    on_threads(16, [&](int) {
        for (int i = 0; i < 50; ++i)
            if (limiter.allow("203.0.113.7", 1000)) allowed++;
    });
    CHECK(allowed == 100);  // 800 asked, the clock stood still: the burst and not one more
    CHECK_FALSE(limiter.allow("203.0.113.7", 1000));
    CHECK(limiter.allow("203.0.113.7", 2000));  // a second later, one token came back
}

TEST_CASE("clients on their own threads do not take each other's tokens", "[server][http][concurrency]") {
    RateLimiter limiter(60, 20);
    std::vector<int> allowed(8, 0);
    on_threads(8, [&](int t) {
        const std::string client = "198.51.100." + std::to_string(t);
        for (int i = 0; i < 30; ++i)
            if (limiter.allow(client, 5000)) allowed[static_cast<std::size_t>(t)]++;
    });
    for (std::size_t t = 0; t < allowed.size(); ++t) {
        CAPTURE(t);
        CHECK(allowed[t] == 20);
    }
}
