// The fan-out between consentd replicas on one PostgreSQL database (issue
// #12, docs/replicas.md "Read-your-writes across replicas and the fan-out"):
// a LISTEN session (pg::Listener) hears every receipt any replica commits
// and every notice version any replica publishes, and hands them to this
// replica's service: the event hub wakes the site's streams (which read what
// follows their own last index from the store, so a late or lost notification
// loses nothing), and the service drops its cached notice.
// After a lost session, notifications sent meanwhile are gone: every cached
// notice is dropped and the receipts committed since the newest one heard are
// read from the store once, to wake their sites' streams.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace consent::server {

class ConsentService;
class ReceiptStore;
namespace pg {
class Listener;
}

class ReplicaFanout {
public:
    ReplicaFanout(const std::string& url, ConsentService& service, ReceiptStore& store);
    ReplicaFanout(const ReplicaFanout&) = delete;
    ReplicaFanout& operator=(const ReplicaFanout&) = delete;
    ~ReplicaFanout();  // stops the LISTEN session first

private:
    void heard(const std::string& site_id, std::int64_t log_index);
    void catch_up();

    ConsentService& service_;
    ReceiptStore& store_;
    std::mutex mutex_;
    std::int64_t newest_heard_ = -1;
    std::unique_ptr<pg::Listener> listener_;  // last: its thread calls the members above
};

}  // namespace consent::server
