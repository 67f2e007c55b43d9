// Wakes event streams the moment a receipt is committed, per site: a receipt
// of site A never wakes a stream of site B (issue #10: one shared "newest"
// counter made every stream of every other site spin). Readers keep their own
// position (the last log index sent) and read what follows from the store, so
// a reader that was slow or reconnects misses nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace consent::server {

class EventHub {
public:
    // Called on the committing thread with the site and the log index made durable.
    // It must be quick and must not call back into the hub.
    using Listener = std::function<void(const std::string& site_id, std::int64_t log_index)>;

    // Called after a commit with the site and the log index it made durable.
    void publish(const std::string& site_id, std::int64_t log_index);
    // The newest index published for the site, -1 if none since start.
    std::int64_t newest(const std::string& site_id) const;
    // One listener at a time (the event-stream pump); an empty one removes it.
    void set_listener(Listener listener);
    void stop();
    bool stopped() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t> newest_;
    Listener listener_;
    bool stopped_ = false;
};

}  // namespace consent::server
