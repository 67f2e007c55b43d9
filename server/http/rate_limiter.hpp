// A rate limit per client key: `burst` requests at once, then `per_minute`.
// The clock is passed in (milliseconds) so the limiter is deterministic under
// test. Thread-safe.
//
// Each bucket is one number, its theoretical arrival time (the generic cell rate
// algorithm, ITU-T I.371; the same limits as a token bucket of `burst` tokens
// refilled at `per_minute`). A bucket whose time has passed is full again and
// carries no information, so forgetting it changes no answer.
//
// Memory is bounded: at most `max_buckets` keys. When the map is full, only
// buckets that are full again are forgotten, never one that still holds debt:
// an attacker rotating addresses cannot evict someone's empty bucket to reset
// it (their own included). Keeping N buckets non-full costs N x per_minute
// requests a minute; while that is sustained, new keys share one overflow
// bucket with the same limits (degraded, never unlimited, no memory growth).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace consent::server {

class RateLimiter {
public:
    static constexpr std::size_t kDefaultMaxBuckets = 100'000;

    RateLimiter(std::uint32_t per_minute, std::uint32_t burst, std::size_t max_buckets = kDefaultMaxBuckets);
    // True if the client may make one more request now (and counts it).
    bool allow(const std::string& client, std::int64_t now_ms);

    std::size_t bucket_count() const;
    // Requests charged to the shared overflow bucket because the map was full.
    std::uint64_t overflowed() const;

private:
    using Index = std::set<std::pair<std::int64_t, const std::string*>>;  // (arrival time, key), earliest first

    bool take(std::int64_t& arrival_us, std::int64_t now_us) const;
    bool take_known(std::unordered_map<std::string, std::int64_t>::iterator bucket, std::int64_t now_us);
    std::size_t forget_full(std::int64_t now_us, std::size_t at_most);

    const std::int64_t interval_us_;   // one request's worth of time
    const std::int64_t tolerance_us_;  // (burst - 1) intervals may be taken ahead
    const std::size_t max_buckets_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> buckets_;  // key -> theoretical arrival time (us)
    Index by_arrival_;
    std::int64_t overflow_arrival_us_ = 0;
    std::uint64_t overflowed_ = 0;
};

}  // namespace consent::server
