// Frames HTTP/1.1 requests out of the bytes a connection has sent so far
// (RFC 9112 §2–§6), before any of them reaches a worker: only a complete,
// well-formed request head with its whole body is handed on. Everything else
// is refused with a status and a stable error code, after which the
// connection is closed. Pure: no sockets, no clock (the caller owns deadlines).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace consent::server {

struct FramingLimits {
    std::size_t max_head_bytes = 16 * 1024;  // request line + headers + the blank line
    std::size_t max_line_bytes = 8 * 1024;   // one line (httplib reads at most 8 KiB per header line)
    std::size_t max_header_count = 100;
    std::size_t max_body_bytes = 128 * 1024;  // the largest body any route accepts
};

// Why a request was refused: the answer's status and its JSON error.
struct Refusal {
    int status = 400;
    std::string code;
    std::string message;
};

// One complete request at the front of the buffer.
struct FramedRequest {
    std::size_t head_bytes = 0;  // up to and including the blank line
    std::size_t body_bytes = 0;  // Content-Length
    bool close = false;          // the client asked to close after this answer (or speaks HTTP/1.0)
    bool expect_continue = false;
    std::size_t total() const { return head_bytes + body_bytes; }
};

// What the bytes so far amount to: a request, a refusal, or "need more" (neither set).
struct FrameResult {
    std::optional<FramedRequest> request;
    std::optional<Refusal> refusal;
    bool head_complete = false;  // with need-more: the head is in, the body is still arriving
    FramedRequest head;          // valid when head_complete
};

// Looks at the front of `buffer` (the bytes a connection sent and nobody consumed).
FrameResult frame_request(std::string_view buffer, const FramingLimits& limits);

}  // namespace consent::server
