#include "service/retention_schedule.hpp"

#include <utility>

namespace consent::server {

RetentionSchedule::RetentionSchedule(ConsentService& service, std::chrono::seconds interval,
                                     std::function<void(const std::string&)> report)
    : service_(service), interval_(interval), report_(std::move(report)) {}

RetentionSchedule::~RetentionSchedule() { stop(); }

RetentionPass RetentionSchedule::run_once() {
    RetentionPass pass;
    auto policies = service_.store().retention_policies();
    if (!policies) {
        ++pass.failures;
        report_("retention: cannot list the sites' periods: " + policies.error().code);
        return pass;
    }
    for (const auto& [site, keep_seconds] : *policies) {
        ++pass.sites;
        auto run = service_.apply_retention(site, false);
        if (!run) {
            ++pass.failures;
            report_("retention: site " + site + ": " + run.error().code + ": " + run.error().message);
            continue;
        }
        const auto subjects = static_cast<std::int64_t>(run->erasures.size());
        const auto receipts = static_cast<std::int64_t>(run->due_indices.size());
        pass.subjects += subjects;
        pass.receipts += receipts;
        if (subjects > 0)
            report_("retention: site " + site + ": erased " + std::to_string(subjects) + " subjects (" +
                    std::to_string(receipts) + " receipts) kept past " + std::to_string(keep_seconds / 86400) +
                    " days");
    }
    return pass;
}

void RetentionSchedule::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable() || interval_.count() <= 0) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void RetentionSchedule::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void RetentionSchedule::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        run_once();
        lock.lock();
        wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
}

}  // namespace consent::server
