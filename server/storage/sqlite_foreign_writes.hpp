// Notices writes to the SQLite file made by another process (issue #11).
//
// consentd keeps subjects' states and API keys in memory (read_cache.hpp),
// which is exact for everything written through this process. Another process
// may write the same file while consentd runs (`consentctl erase`, `consentctl
// key revoke`), and consentd must then stop answering from memory. Every such
// write is either a receipt (an erasure, which changes a state, appends one)
// or a change of the api_keys table; so this thread looks, every `period`, at
// where the file's log ends and at the keys' counts:
// - a log longer than the one this process committed means someone else
//   appended: the states are dropped (the log writer reloads the log's end at
//   its next batch, storage.log_moved, and drops them again then);
// - a different count of keys or of revoked keys drops the keys.
// What another process writes is so seen by consentd's
// checks within one period (50 ms by default), not at once: documented in
// docs/deployment.md ("What consentd keeps in memory").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

struct ForeignWriteTargets {
    std::function<std::int64_t()> committed_size;  // the log's end as this process committed it
    std::function<void()> drop_states;
    std::function<void()> drop_keys;
};

class ForeignWriteWatch {
public:
    static constexpr std::chrono::milliseconds kPeriod{50};

    static Result<std::unique_ptr<ForeignWriteWatch>> start(const std::string& path, int busy_timeout_ms,
                                                            ForeignWriteTargets targets,
                                                            std::chrono::milliseconds period = kPeriod);
    ForeignWriteWatch(const ForeignWriteWatch&) = delete;
    ForeignWriteWatch& operator=(const ForeignWriteWatch&) = delete;
    ~ForeignWriteWatch();  // joins the thread

    // Times the states were dropped for another process's receipts.
    std::int64_t foreign_receipts() const { return states_dropped_; }
    // Times the keys were dropped: another process's key change, or one of
    // this process (the count cannot tell whose; a refill costs little).
    std::int64_t key_changes() const { return keys_dropped_; }

private:
    ForeignWriteWatch(std::unique_ptr<Connection> connection, ForeignWriteTargets targets,
                      std::chrono::milliseconds period);
    void run();
    void look();

    std::unique_ptr<Connection> connection_;
    ForeignWriteTargets targets_;
    const std::chrono::milliseconds period_;
    std::int64_t dropped_for_ = -1;  // the file's log end the states were last dropped for
    std::string keys_seen_;          // the keys' counts as last seen ("" before the first look)
    std::atomic<std::int64_t> states_dropped_{0};
    std::atomic<std::int64_t> keys_dropped_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once everything above exists
};

// For a tool that wrote the file while a consentd may run (consentctl's
// apikey revoke, erase, retention apply): returns once two of the watch's
// periods have passed, so that when the tool says "revoked" or "erased", a
// running consentd has dropped what it held (tests/server/consentctl.test.js).
void wait_for_running_consentd();

}  // namespace consent::server::sqlite
