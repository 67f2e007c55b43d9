#include "http/request_log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "crypto/random_id.hpp"

namespace consent::server {
namespace {

// RFC 3339, UTC, milliseconds.
std::string utc_time(std::int64_t unix_ms) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
    return text;
}

}  // namespace

std::string RequestLog::format(const RequestRecord& r, std::int64_t unix_ms) {
    // Every string is ours (an id we made, a method from a fixed set, a route
    // template): still dumped through the JSON writer, so a line is always JSON.
    const nlohmann::ordered_json line = {
        {"time", utc_time(unix_ms)},  {"id", r.id},      {"method", r.method}, {"route", r.route}, {"status", r.status},
        {"latency_us", r.latency_us}, {"bytes", r.bytes}};
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void RequestLog::write(const RequestRecord& record) const {
    if (fd_ < 0) return;
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    write_text(format(record, now));
}

// O_APPEND files and pipes take a text this short (< PIPE_BUF) whole.
void RequestLog::write_text(const std::string& text) const {
    if (fd_ < 0) return;
    ssize_t n;
    do {
        n = ::write(fd_, text.data(), text.size());
    } while (n < 0 && errno == EINTR);
}

std::string next_request_id() {
    static const std::string prefix = random_id("", 6);  // 8 base64url characters
    static std::atomic<std::uint64_t> counter{0};
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "-%06llx", static_cast<unsigned long long>(++counter));
    return prefix + suffix;
}

}  // namespace consent::server
