#include "http/deferred_log.hpp"

#include <limits.h>
#include <pthread.h>

#include <utility>

namespace consent::server {

DeferredLog::DeferredLog(RequestLog log) : log_(log) {
    if (log_.enabled()) thread_ = std::thread([this] { run(); });
}

DeferredLog::~DeferredLog() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

bool DeferredLog::has_room() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_.size() < kMaxWaiting;
}

void DeferredLog::offer(const RequestRecord& record) {
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string line = RequestLog::format(record, now);
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_.push_back(std::move(line));
}

void DeferredLog::run() {
    pthread_setname_np(pthread_self(), "consentd-reqlog");
    std::vector<std::string> lines;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // Woken only to stop: a timed wait costs the loop no wake-up per line.
        const bool stop = wake_.wait_for(lock, kPeriod, [&] { return stopping_; });
        lines.swap(waiting_);
        lock.unlock();
        flush(lines);
        lines.clear();
        lock.lock();
        if (stop) return;
    }
}

void DeferredLog::flush(std::vector<std::string>& lines) const {
    std::string chunk;
    for (const std::string& line : lines) {
        if (!chunk.empty() && chunk.size() + line.size() > PIPE_BUF) {
            log_.write_text(chunk);
            chunk.clear();
        }
        chunk += line;
    }
    if (!chunk.empty()) log_.write_text(chunk);
}

}  // namespace consent::server
