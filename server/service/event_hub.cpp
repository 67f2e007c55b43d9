#include "service/event_hub.hpp"

namespace consent::server {

void EventHub::publish(std::int64_t log_index) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (log_index > newest_) newest_ = log_index;
    }
    changed_.notify_all();
}

std::int64_t EventHub::wait_newer_than(std::int64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return stopped_ || newest_ > seen; });
    return newest_;
}

void EventHub::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopped_ = true;
    }
    changed_.notify_all();
}

bool EventHub::stopped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
}

}  // namespace consent::server
