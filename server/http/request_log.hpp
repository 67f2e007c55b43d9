// consentd's request log: one JSON line per answered request, for operators
// (docs/deployment.md). A line holds only what cannot identify a person or
// grant access: the request id (also sent as X-Request-Id), the method, the
// route's template (/v1/sites/{site}/subjects/{subject}/export, never the
// concrete path, which would name a subject; never the query or a header,
// which carry tokens and keys), the status, the latency and the answer's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace consent::server {

struct RequestRecord {
    std::string id;
    std::string method;  // one of the methods consentd knows, else "OTHER"
    std::string route;   // the template of the route that answered, "-" when none did
    int status = 0;
    std::int64_t latency_us = 0;  // from a worker taking the request to its answer being ready
    std::size_t bytes = 0;        // the whole answer, head and body
};

class RequestLog {
public:
    RequestLog() = default;  // off
    // Writes to fd (not owned); -1 is off.
    explicit RequestLog(int fd) : fd_(fd) {}

    bool enabled() const { return fd_ >= 0; }
    // One write(2) per line, so that lines from concurrent workers never mix.
    // A failed write is dropped: logging never holds up or fails a request.
    void write(const RequestRecord& record) const;
    // Lines already formatted, each whole; text of at most PIPE_BUF bytes goes
    // out in one write(2) (deferred_log.hpp joins lines up to that).
    void write_text(const std::string& text) const;

    // {"time":"2026-12-03T10:00:00.123Z","id":…,"method":…,"route":…,"status":…,"latency_us":…,"bytes":…}
    static std::string format(const RequestRecord& record, std::int64_t unix_ms);

private:
    int fd_ = -1;
};

// A fresh request id: unique within this process (a counter) and across
// restarts (a random prefix drawn once per process).
std::string next_request_id();

}  // namespace consent::server
