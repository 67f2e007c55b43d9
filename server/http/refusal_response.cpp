#include "http/refusal_response.hpp"

#include "http/error_mapping.hpp"

namespace consent::server {
namespace {

// RFC 9110 §15 reason phrases of the statuses the edge itself sends.
const char* reason(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
    }
}

}  // namespace

std::string refusal_response(const Refusal& refusal) {
    const std::string body = error_body(make_error(refusal.code, refusal.message));
    std::string out = "HTTP/1.1 " + std::to_string(refusal.status) + " " + reason(refusal.status) + "\r\n";
    out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (is_retryable(make_error(refusal.code, {}))) out += "Retry-After: 1\r\n";
    out += "Connection: close\r\n\r\n" + body;
    return out;
}

}  // namespace consent::server
