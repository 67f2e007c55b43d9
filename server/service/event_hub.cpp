#include "service/event_hub.hpp"

namespace consent::server {

void EventHub::publish(const std::string& site_id, std::int64_t log_index) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& newest = newest_.try_emplace(site_id, -1).first->second;
    if (log_index > newest) newest = log_index;
    if (listener_) listener_(site_id, log_index);
}

std::int64_t EventHub::newest(const std::string& site_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = newest_.find(site_id);
    return found == newest_.end() ? -1 : found->second;
}

void EventHub::set_listener(Listener listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
}

void EventHub::stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
}

bool EventHub::stopped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
}

}  // namespace consent::server
