#include "http/rate_limiter.hpp"

#include <algorithm>

namespace consent::server {

namespace {
// Each call forgets a few full buckets, so the map tracks the clients of the
// last moments at an amortized O(log n) per request, with no sweep pauses.
constexpr std::size_t kForgetPerCall = 8;
}  // namespace

RateLimiter::RateLimiter(std::uint32_t per_minute, std::uint32_t burst, std::size_t max_buckets)
    : interval_us_(std::max<std::int64_t>(1, 60'000'000 / std::max<std::int64_t>(per_minute, 1))),
      tolerance_us_(interval_us_ * (std::max<std::int64_t>(burst, 1) - 1)),
      max_buckets_(std::max<std::size_t>(max_buckets, 1)) {}

bool RateLimiter::allow(const std::string& client, std::int64_t now_ms) {
    const std::int64_t now_us = now_ms * 1000;
    std::lock_guard<std::mutex> lock(mutex_);
    forget_full(now_us, kForgetPerCall);
    auto known = buckets_.find(client);
    if (known != buckets_.end()) return take_known(known, now_us);
    if (buckets_.size() >= max_buckets_ && forget_full(now_us, 1) == 0) {
        ++overflowed_;
        return take(overflow_arrival_us_, now_us);
    }
    auto added = buckets_.emplace(client, now_us).first;  // a new bucket is full
    by_arrival_.emplace(now_us, &added->first);
    return take_known(added, now_us);
}

// GCRA: the request conforms unless it comes more than the tolerance ahead of
// the bucket's theoretical arrival time; a conforming one moves it on by one interval.
bool RateLimiter::take(std::int64_t& arrival_us, std::int64_t now_us) const {
    const std::int64_t start = std::max(arrival_us, now_us);
    if (start - now_us > tolerance_us_) return false;
    arrival_us = start + interval_us_;
    return true;
}

bool RateLimiter::take_known(std::unordered_map<std::string, std::int64_t>::iterator bucket, std::int64_t now_us) {
    const std::int64_t before = bucket->second;
    if (!take(bucket->second, now_us)) return false;
    // unordered_map nodes never move, so the key's address is a stable handle.
    by_arrival_.erase({before, &bucket->first});
    by_arrival_.emplace(bucket->second, &bucket->first);
    return true;
}

// Forgets up to `at_most` buckets that are full again (arrival time passed).
std::size_t RateLimiter::forget_full(std::int64_t now_us, std::size_t at_most) {
    std::size_t forgotten = 0;
    while (forgotten < at_most && !by_arrival_.empty() && by_arrival_.begin()->first <= now_us) {
        const std::string* key = by_arrival_.begin()->second;
        by_arrival_.erase(by_arrival_.begin());
        buckets_.erase(buckets_.find(*key));  // by iterator: *key lives in the node erased
        ++forgotten;
    }
    return forgotten;
}

std::size_t RateLimiter::bucket_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return buckets_.size();
}

std::uint64_t RateLimiter::overflowed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return overflowed_;
}

}  // namespace consent::server
