// consentd's retention schedule (issue #13, docs/erasure.md): every interval,
// each site with a retention period loses what the period no longer keeps,
// erased with reason "retention" through the same path as an erasure on
// request (ConsentService::apply_retention). One thread of its own; stop() (or
// the destructor) wakes and joins it, so a SIGTERM does not wait an interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "service/consent_service.hpp"

namespace consent::server {

struct RetentionPass {
    std::int64_t sites = 0;     // sites with a period
    std::int64_t subjects = 0;  // subjects erased
    std::int64_t receipts = 0;  // receipts erased
    std::int64_t failures = 0;  // sites whose pass failed (reported; the next pass tries again)
};

class RetentionSchedule {
public:
    // report gets one line per site that erased something or failed: counts and
    // codes only, never a subject id (a log must not undo the erasure).
    RetentionSchedule(ConsentService& service, std::chrono::seconds interval,
                      std::function<void(const std::string&)> report);
    ~RetentionSchedule();
    RetentionSchedule(const RetentionSchedule&) = delete;
    RetentionSchedule& operator=(const RetentionSchedule&) = delete;

    // One pass over every site with a period, now: what each interval runs.
    RetentionPass run_once();
    // The first pass runs at once (a server restarted more often than the
    // interval must not put retention off for ever), then one per interval.
    void start();
    void stop();

private:
    void loop();

    ConsentService& service_;
    const std::chrono::seconds interval_;
    std::function<void(const std::string&)> report_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace consent::server
