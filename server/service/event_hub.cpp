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

void EventHub::remember_erasure(const std::string& site_id, const std::string& erasure_id,
                                std::vector<std::string> subjects) {
    std::lock_guard<std::mutex> lock(mutex_);
    ErasureKey key{site_id, erasure_id};
    if (!erased_.insert_or_assign(key, std::move(subjects)).second) return;
    erased_order_.push_back(std::move(key));
    while (erased_order_.size() > kErasuresKept) {
        erased_.erase(erased_order_.front());
        erased_order_.pop_front();
    }
}

void EventHub::forget_erasure(const std::string& site_id, const std::string& erasure_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    // Its place in erased_order_ stays until the bound reaches it: erasing a key no longer held is harmless.
    erased_.erase(ErasureKey{site_id, erasure_id});
}

std::optional<std::vector<std::string>> EventHub::erased_subjects(const std::string& site_id,
                                                                  const std::string& erasure_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = erased_.find(ErasureKey{site_id, erasure_id});
    if (found == erased_.end()) return std::nullopt;
    return found->second;
}

}  // namespace consent::server
