#include "service/replica_fanout.hpp"

#include <algorithm>
#include <map>

#include "service/consent_service.hpp"
#include "storage/pg_listener.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {
namespace {

constexpr std::size_t kCatchUpPage = 1000;
// Streams read from the store themselves: a wake-up per site is all that is
// needed, so the catch-up stops after this many receipts (the rest of a
// long outage wakes its sites with their next receipt or heartbeat).
constexpr int kCatchUpPages = 50;

}  // namespace

ReplicaFanout::ReplicaFanout(const std::string& url, ConsentService& service, ReceiptStore& store)
    : service_(service), store_(store) {
    if (auto size = store_.receipt_count(); size) newest_heard_ = *size - 1;
    listener_ = std::make_unique<pg::Listener>(
        url, [this](const std::string& site, std::int64_t index) { heard(site, index); }, [this] { catch_up(); }, 200,
        [this](const std::string& site) { service_.notice_published_elsewhere(site); });
}

ReplicaFanout::~ReplicaFanout() { listener_.reset(); }

void ReplicaFanout::heard(const std::string& site_id, std::int64_t log_index) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        newest_heard_ = std::max(newest_heard_, log_index);
    }
    service_.events().publish(site_id, log_index);
}

void ReplicaFanout::catch_up() {
    service_.notice_published_elsewhere("");
    std::int64_t after = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        after = newest_heard_;
    }
    std::map<std::string, std::int64_t> newest;
    for (int page = 0; page < kCatchUpPages; ++page) {
        auto receipts = store_.log_receipts(after, kCatchUpPage);
        if (!receipts || receipts->empty()) break;
        for (const auto& r : *receipts) newest[r.site_id] = r.log_index;
        after = receipts->back().log_index;
        if (receipts->size() < kCatchUpPage) break;
    }
    for (const auto& [site, index] : newest) heard(site, index);
}

}  // namespace consent::server
