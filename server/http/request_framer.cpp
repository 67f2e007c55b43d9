#include "http/request_framer.hpp"

#include <cctype>
#include <vector>

namespace consent::server {
namespace {

Refusal refuse(int status, std::string code, std::string message) {
    return Refusal{status, std::move(code), std::move(message)};
}

// RFC 9110 §5.6.2: tchar.
bool is_tchar(unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

// RFC 9110 §5.5: field-value is VCHAR / obs-text / SP / HTAB; NUL, CR, LF and
// other controls are refused rather than cut off or passed on (a NUL once cut
// "https://a.example\0.evil" down to an allowed origin).
bool is_field_value(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Whether a comma-separated list (Connection, Transfer-Encoding) holds `token`.
bool list_has(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (iequals(trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

struct Line {
    std::string_view text;
    std::size_t end = 0;  // offset just past its CRLF
};

// The head's lines, each checked for CRLF endings; stops at the blank line.
// Sets `complete` when the blank line was found.
std::optional<Refusal> split_lines(std::string_view buffer, const FramingLimits& limits, std::vector<Line>& lines,
                                   bool& complete) {
    std::size_t at = 0;
    while (buffer.substr(at, 2) == "\r\n" && lines.empty()) at += 2;  // RFC 9112 §2.2: empty lines before a request
    for (;;) {
        const auto nl = buffer.find('\n', at);
        const std::size_t line_end = nl == std::string_view::npos ? buffer.size() : nl;
        if (line_end - at > limits.max_line_bytes)
            return lines.empty() ? refuse(414, "request.uri_too_long", "the request line is too long")
                                 : refuse(431, "request.header_too_large", "a header line is too long");
        if (nl == std::string_view::npos) break;
        if (nl == at || buffer[nl - 1] != '\r')
            return refuse(400, "request.invalid", "lines must end with CRLF (RFC 9112 §2.2)");
        if (nl + 1 > limits.max_head_bytes)
            return refuse(431, "request.header_too_large", "the request head is too large");
        const std::string_view text = buffer.substr(at, nl - 1 - at);
        at = nl + 1;
        if (text.empty() && !lines.empty()) {
            complete = true;
            lines.push_back({text, at});
            return std::nullopt;
        }
        lines.push_back({text, at});
        if (lines.size() > limits.max_header_count + 1)
            return refuse(431, "request.header_too_large", "too many header fields");
    }
    if (buffer.size() > limits.max_head_bytes)
        return refuse(431, "request.header_too_large", "the request head is too large");
    return std::nullopt;
}

// RFC 9112 §3: method SP request-target SP HTTP-version.
std::optional<Refusal> check_request_line(std::string_view line, bool& http10) {
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return refuse(400, "request.invalid", "the request line is malformed");
    const auto method = line.substr(0, sp1);
    const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty()) return refuse(400, "request.invalid", "the request line is malformed");
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f) return refuse(400, "request.invalid", "the request target is malformed");
    if (version == "HTTP/1.1" || version == "HTTP/1.0") {
        http10 = version == "HTTP/1.0";
        return std::nullopt;
    }
    if (version.substr(0, 5) == "HTTP/")
        return refuse(505, "request.http_version_unsupported", "only HTTP/1.1 and HTTP/1.0 are served");
    return refuse(400, "request.invalid", "the request line is malformed");
}

struct HeadFacts {
    int hosts = 0;
    int lengths = 0;
    std::size_t length = 0;
    bool transfer_encoding = false;
    bool chunked = false;
    bool close_token = false;
    bool keep_alive_token = false;
    bool expect_continue = false;
};

// RFC 9112 §6.2: Content-Length = 1*DIGIT; anything else is unframeable.
bool parse_length(std::string_view value, std::size_t& out) {
    if (value.empty() || value.size() > 15) return false;  // 15 digits: far past any limit, no overflow
    std::size_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    out = n;
    return true;
}

// RFC 9112 §5: field-name ":" OWS field-value OWS, no obs-fold, no space before the colon.
std::optional<Refusal> check_header(std::string_view line, HeadFacts& facts) {
    if (line.front() == ' ' || line.front() == '\t')
        return refuse(400, "request.invalid_header", "obs-fold line folding is not accepted (RFC 9112 §5.2)");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
        return refuse(400, "request.invalid_header", "a header field name is malformed");
    const auto name = line.substr(0, colon);
    const auto value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(line.substr(colon + 1)))
        return refuse(400, "request.invalid_header", "a header value holds a control character");
    if (iequals(name, "Host")) ++facts.hosts;
    if (iequals(name, "Content-Length")) {
        ++facts.lengths;
        if (!parse_length(value, facts.length))
            return refuse(400, "request.invalid_content_length", "Content-Length must be one decimal number");
    }
    if (iequals(name, "Transfer-Encoding")) {
        facts.transfer_encoding = true;
        facts.chunked = facts.chunked || list_has(value, "chunked");
    }
    if (iequals(name, "Connection")) {
        facts.close_token = facts.close_token || list_has(value, "close");
        facts.keep_alive_token = facts.keep_alive_token || list_has(value, "keep-alive");
    }
    if (iequals(name, "Expect") && iequals(value, "100-continue")) facts.expect_continue = true;
    return std::nullopt;
}

std::optional<Refusal> check_framing(const HeadFacts& facts, bool http10, const FramingLimits& limits) {
    if (facts.lengths > 1)
        return refuse(400, "request.invalid_content_length", "Content-Length must be one decimal number");
    // RFC 9112 §6.1: a request body is framed by Content-Length here; chunked
    // uploads are refused with 411, other codings are not implemented (501).
    if (facts.transfer_encoding)
        return facts.chunked
                   ? refuse(411, "request.length_required", "send the body with a Content-Length")
                   : refuse(501, "request.transfer_encoding_unsupported", "Transfer-Encoding is not supported");
    if (!http10 && facts.hosts != 1)
        return refuse(400, "request.invalid", "an HTTP/1.1 request needs exactly one Host header (RFC 9112 §3.2)");
    if (facts.length > limits.max_body_bytes)
        return refuse(413, "request.body_too_large", "the request body is too large");
    return std::nullopt;
}

}  // namespace

FrameResult frame_request(std::string_view buffer, const FramingLimits& limits) {
    FrameResult result;
    std::vector<Line> lines;
    bool complete = false;
    if (auto refusal = split_lines(buffer, limits, lines, complete)) {
        result.refusal = std::move(refusal);
        return result;
    }
    if (!complete) return result;
    bool http10 = false;
    HeadFacts facts;
    std::optional<Refusal> refusal = check_request_line(lines.front().text, http10);
    for (std::size_t i = 1; !refusal && i + 1 < lines.size(); ++i) refusal = check_header(lines[i].text, facts);
    if (!refusal) refusal = check_framing(facts, http10, limits);
    if (refusal) {
        result.refusal = std::move(refusal);
        return result;
    }
    result.head_complete = true;
    result.head.head_bytes = lines.back().end;
    result.head.body_bytes = facts.length;
    result.head.close = facts.close_token || (http10 && !facts.keep_alive_token);
    result.head.expect_continue = facts.expect_continue;
    if (buffer.size() >= result.head.total()) result.request = result.head;
    return result;
}

}  // namespace consent::server
