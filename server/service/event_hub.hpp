// Wakes event streams the moment a receipt is committed, per site: a receipt
// of site A never wakes a stream of site B (issue #10: one shared "newest"
// counter made every stream of every other site spin). Readers keep their own
// position (the last log index sent) and read what follows from the store, so
// a reader that was slow or reconnects misses nothing.
//
// It also keeps, in memory only, which stored subject ids each recent erasure
// removed (issue #13, GDPR Art. 17(2)/19: the streams tell the recipients whom
// to forget). The store must never keep them, so after a restart, or once an
// erasure falls out of this bounded record, a stream can only say "resync".
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

    // The erasure receipt erasure_id of the site will remove these stored
    // subject ids. Recorded before its commit, so a stream that reads the
    // receipt the moment it is durable already finds them; the oldest record
    // goes once more than kErasuresKept are held.
    void remember_erasure(const std::string& site_id, const std::string& erasure_id, std::vector<std::string> subjects);
    // The erasure did not commit: nothing to tell.
    void forget_erasure(const std::string& site_id, const std::string& erasure_id);
    // The subjects an erasure receipt removed, if still held.
    std::optional<std::vector<std::string>> erased_subjects(const std::string& site_id,
                                                            const std::string& erasure_id) const;
    static constexpr std::size_t kErasuresKept = 4096;

private:
    using ErasureKey = std::pair<std::string, std::string>;  // site, erasure id
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t> newest_;
    std::map<ErasureKey, std::vector<std::string>> erased_;
    std::deque<ErasureKey> erased_order_;  // oldest first, for the bound
    Listener listener_;
    bool stopped_ = false;
};

}  // namespace consent::server
