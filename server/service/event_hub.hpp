// Wakes event-stream readers the moment a receipt is committed. Readers keep
// their own position (the last log index sent) and read what follows from the
// store, so a reader that was slow or reconnects misses nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace consent::server {

class EventHub {
public:
    // Called after a commit with the highest log index it made durable.
    void publish(std::int64_t log_index);
    // Blocks until something newer than seen is published, stop() is called, or the timeout passes.
    // Returns the newest published index.
    std::int64_t wait_newer_than(std::int64_t seen, std::chrono::milliseconds timeout);
    void stop();
    bool stopped() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::int64_t newest_ = -1;
    bool stopped_ = false;
};

}  // namespace consent::server
