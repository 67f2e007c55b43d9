// Request-log lines of answers made on the connection loop's thread (issue
// #11: checks answered from memory). The loop must not wait on write(2) to a
// pipe the journal is slow to empty, so it formats the line and leaves it
// here; a thread of its own writes what has gathered every 10 ms, joined into
// writes of at most PIPE_BUF bytes (each whole, so lines from workers never
// split them). Bounded: when too many lines wait, offer() says no and the
// loop hands the request to a worker instead, which writes its own line (and
// waits, as every worker does): the log is never dropped from.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/request_log.hpp"

namespace consent::server {

class DeferredLog {
public:
    static constexpr std::size_t kMaxWaiting = 4096;  // lines
    static constexpr std::chrono::milliseconds kPeriod{10};

    explicit DeferredLog(RequestLog log);
    DeferredLog(const DeferredLog&) = delete;
    DeferredLog& operator=(const DeferredLog&) = delete;
    ~DeferredLog();  // writes what is left, joins

    bool enabled() const { return log_.enabled(); }
    // True when the loop may go on: room for one more line.
    bool has_room() const;
    void offer(const RequestRecord& record);

private:
    void run();
    void flush(std::vector<std::string>& lines) const;

    RequestLog log_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::string> waiting_;
    bool stopping_ = false;
    std::thread thread_;  // last
};

}  // namespace consent::server
