// The rate limiter (server/http/rate_limiter.hpp): a burst then a steady rate
// per key, a bounded number of keys, and no way to reset someone's bucket by
// flooding the map with fresh keys. The clock is a number passed in.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "http/rate_limiter.hpp"

namespace {

using consent::server::RateLimiter;

int allowed_in_a_row(RateLimiter& limiter, const std::string& key, std::int64_t now_ms, int tries) {
    int allowed = 0;
    for (int i = 0; i < tries; ++i) allowed += limiter.allow(key, now_ms) ? 1 : 0;
    return allowed;
}

}  // namespace

TEST_CASE("a client gets its burst at once and then one request per interval", "[server][rate_limiter]") {
    const auto burst = GENERATE(1u, 3u, 30u);
    CAPTURE(burst);
    RateLimiter limiter(60, burst);  // one a second
    CHECK(allowed_in_a_row(limiter, "198.51.100.1", 0, 100) == static_cast<int>(burst));
    CHECK_FALSE(limiter.allow("198.51.100.1", 999));
    CHECK(limiter.allow("198.51.100.1", 1000));
    CHECK_FALSE(limiter.allow("198.51.100.1", 1000));
    CHECK(allowed_in_a_row(limiter, "198.51.100.1", 1000 + 1000 * 1000, 100) == static_cast<int>(burst));
}

TEST_CASE("clients have separate buckets", "[server][rate_limiter]") {
    RateLimiter limiter(1, 3);
    CHECK(allowed_in_a_row(limiter, "198.51.100.1", 0, 6) == 3);
    CHECK(allowed_in_a_row(limiter, "198.51.100.2", 0, 6) == 3);
    CHECK(allowed_in_a_row(limiter, "198.51.100.1", 0, 6) == 0);
}

TEST_CASE("a refused request does not push the client's next allowed time further", "[server][rate_limiter]") {
    RateLimiter limiter(60, 1);
    CHECK(limiter.allow("c", 0));
    for (std::int64_t t = 1; t < 1000; t += 10) CHECK_FALSE(limiter.allow("c", t));
    CHECK(limiter.allow("c", 1000));
}

TEST_CASE("fresh keys beyond the bound never grow the map", "[server][rate_limiter]") {
    RateLimiter limiter(60, 5, 1000);
    for (int i = 0; i < 20000; ++i) (void)limiter.allow("k" + std::to_string(i), 0);
    CHECK(limiter.bucket_count() <= 1000);
    CHECK(limiter.overflowed() == 19000);
}

TEST_CASE("a flood of fresh keys cannot reset the bucket of a client who used it up", "[server][rate_limiter]") {
    RateLimiter limiter(1, 3, 100);  // refills one request a minute
    CHECK(allowed_in_a_row(limiter, "victim-or-cheat", 0, 3) == 3);
    // Thousands of fresh keys in the next second: the map is full of buckets
    // that still hold debt, so nobody's bucket may be forgotten.
    for (int i = 0; i < 5000; ++i) (void)limiter.allow("rotating-" + std::to_string(i), 1 + i / 10);
    CHECK(limiter.bucket_count() <= 100);
    CHECK_FALSE(limiter.allow("victim-or-cheat", 1000));
}

TEST_CASE("while the map is full of indebted buckets new clients share one overflow bucket, never unlimited",
          "[server][rate_limiter]") {
    RateLimiter limiter(1, 3, 10);
    for (int i = 0; i < 10; ++i) CHECK(limiter.allow("held-" + std::to_string(i), 0));
    int allowed = 0;
    for (int i = 0; i < 100; ++i) allowed += limiter.allow("new-" + std::to_string(i), 10) ? 1 : 0;
    CHECK(allowed == 3);  // one shared burst
    CHECK(limiter.overflowed() == 100);
}

TEST_CASE("buckets that are full again are forgotten and make room for new clients", "[server][rate_limiter]") {
    RateLimiter limiter(60, 3, 10);  // a request is repaid after a second
    for (int i = 0; i < 10; ++i) CHECK(limiter.allow("early-" + std::to_string(i), 0));
    // Two seconds later every early bucket is full again: newcomers get their own.
    for (int i = 0; i < 10; ++i) CHECK(allowed_in_a_row(limiter, "late-" + std::to_string(i), 2000, 5) == 3);
    CHECK(limiter.overflowed() == 0);
    CHECK(limiter.bucket_count() == 10);
    // And an early client that returns starts from a full bucket, as it would have.
    CHECK(allowed_in_a_row(limiter, "early-0", 6000, 5) == 3);
}

TEST_CASE("the limiter is safe to call from many threads at once", "[server][rate_limiter][concurrency]") {
    RateLimiter limiter(1, 50, 500);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                if (limiter.allow("shared", i)) ++allowed;
                (void)limiter.allow("t" + std::to_string(t) + "-" + std::to_string(i), i);
            }
        });
    for (auto& th : threads) th.join();
    CHECK(allowed == 50);
    CHECK(limiter.bucket_count() <= 500);
}
