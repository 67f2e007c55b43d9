// A token bucket per client for the public endpoints: `burst` requests at once,
// refilled at `per_minute`. The clock is passed in (milliseconds) so the limiter
// is deterministic under test. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace consent::server {

class RateLimiter {
public:
    RateLimiter(std::uint32_t per_minute, std::uint32_t burst);
    // True if the client may make one more request now (and takes a token).
    bool allow(const std::string& client, std::int64_t now_ms);

private:
    struct Bucket {
        double tokens;
        std::int64_t updated_ms;
    };
    void forget_idle(std::int64_t now_ms);

    double per_ms_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::int64_t last_sweep_ms_ = 0;
};

}  // namespace consent::server
