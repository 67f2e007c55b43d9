#include "http/rate_limiter.hpp"

#include <algorithm>

namespace consent::server {

namespace {
constexpr std::int64_t kSweepEveryMs = 60'000;
constexpr std::size_t kSweepAbove = 10'000;  // clients remembered before idle ones are dropped
}  // namespace

RateLimiter::RateLimiter(std::uint32_t per_minute, std::uint32_t burst)
    : per_ms_(static_cast<double>(per_minute) / 60000.0), burst_(static_cast<double>(std::max(burst, 1u))) {}

bool RateLimiter::allow(const std::string& client, std::int64_t now_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    forget_idle(now_ms);
    auto [it, inserted] = buckets_.try_emplace(client, Bucket{burst_, now_ms});
    Bucket& b = it->second;
    if (!inserted) {
        const auto elapsed = static_cast<double>(std::max<std::int64_t>(0, now_ms - b.updated_ms));
        b.tokens = std::min(burst_, b.tokens + elapsed * per_ms_);
        b.updated_ms = now_ms;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

// Memory stays bounded however many clients pass by: a bucket that would be
// full again carries no information.
void RateLimiter::forget_idle(std::int64_t now_ms) {
    if (buckets_.size() < kSweepAbove || now_ms - last_sweep_ms_ < kSweepEveryMs) return;
    last_sweep_ms_ = now_ms;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const auto elapsed = static_cast<double>(now_ms - it->second.updated_ms);
        if (it->second.tokens + elapsed * per_ms_ >= burst_) it = buckets_.erase(it);
        else ++it;
    }
}

}  // namespace consent::server
