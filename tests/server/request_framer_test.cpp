// The request framer (RFC 9112 §2–§6) on bytes, and the same framer with the
// real routes through HttpServer::answer_bytes (the fuzz entry point), no socket.
#include <catch2/catch.hpp>

#include <string>

#include "http/request_framer.hpp"
#include "server_fixture.hpp"

namespace {

using consent::server::frame_request;
using consent::server::FramingLimits;

const std::string kHead = "GET /healthz HTTP/1.1\r\nHost: a\r\n";

}  // namespace

TEST_CASE("a complete request is framed with its body and a partial one waits for more", "[server][framer]") {
    const std::string request = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
    const auto whole = frame_request(request + "GET /next", FramingLimits{});
    REQUIRE(whole.request);
    CHECK(whole.request->head_bytes == request.size() - 4);
    CHECK(whole.request->total() == request.size());
    CHECK_FALSE(whole.request->close);
    const auto partial = frame_request(request.substr(0, request.size() - 1), FramingLimits{});
    CHECK_FALSE(partial.request);
    CHECK_FALSE(partial.refusal);
    CHECK(partial.head_complete);
    const auto half_head = frame_request(kHead, FramingLimits{});
    CHECK_FALSE(half_head.request);
    CHECK_FALSE(half_head.refusal);
}

TEST_CASE("malformed heads are refused with the status and code of their fault", "[server][framer]") {
    struct Case {
        std::string bytes;
        int status;
        const char* code;
    };
    const auto [bytes, status, code] =
        GENERATE(Case{kHead + "Origin: https://a.example" + std::string(1, '\0') + ".evil\r\n\r\n", 400,
                      "request.invalid_header"},
                 Case{kHead + "X: a\rb\r\n\r\n", 400, "request.invalid_header"},
                 Case{kHead + "X: a\r\n folded\r\n\r\n", 400, "request.invalid_header"},
                 Case{kHead + "X : a\r\n\r\n", 400, "request.invalid_header"},
                 Case{kHead + "X: a\n\r\n", 400, "request.invalid"},
                 Case{kHead + "Content-Length: +5\r\n\r\n", 400, "request.invalid_content_length"},
                 Case{kHead + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400, "request.invalid_content_length"},
                 Case{kHead + "Transfer-Encoding: chunked\r\n\r\n", 411, "request.length_required"},
                 Case{kHead + "Transfer-Encoding: gzip, chunked\r\n\r\n", 411, "request.length_required"},
                 Case{kHead + "Transfer-Encoding: gzip\r\n\r\n", 501, "request.transfer_encoding_unsupported"},
                 Case{kHead + "Content-Length: 999999999\r\n\r\n", 413, "request.body_too_large"},
                 Case{kHead + "Host: b\r\n\r\n", 400, "request.invalid"},
                 Case{"GET /healthz HTTP/1.1\r\n\r\n", 400, "request.invalid"},
                 Case{"GET /healthz HTTP/3\r\nHost: a\r\n\r\n", 505, "request.http_version_unsupported"},
                 Case{"GET  /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request.invalid"},
                 Case{"GET /health\x01z HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request.invalid"},
                 Case{"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n", 414, "request.uri_too_long"},
                 Case{kHead + "X-Big: " + std::string(9000, 'a') + "\r\n\r\n", 431, "request.header_too_large"},
                 Case{kHead + std::string(17 * 1024, 'a'), 431, "request.header_too_large"});
    CAPTURE(bytes.substr(0, 120));
    const auto framed = frame_request(bytes, FramingLimits{});
    REQUIRE(framed.refusal);
    CHECK(framed.refusal->status == status);
    CHECK(framed.refusal->code == code);
}

TEST_CASE("more header fields than the limit are refused with 431 and the limit itself is accepted",
          "[server][framer]") {
    FramingLimits limits;
    limits.max_header_count = 10;
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 9; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    CHECK(frame_request(head + "\r\n", limits).request);
    const auto over = frame_request(head + "X-last: v\r\n\r\n", limits);
    REQUIRE(over.refusal);
    CHECK(over.refusal->status == 431);
}

TEST_CASE("HTTP/1.0 and Connection: close end the connection after the answer", "[server][framer]") {
    CHECK(frame_request("GET / HTTP/1.0\r\n\r\n", FramingLimits{}).request->close);
    CHECK_FALSE(frame_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", FramingLimits{}).request->close);
    CHECK(frame_request(kHead + "Connection: Close\r\n\r\n", FramingLimits{}).request->close);
    CHECK(frame_request(kHead + "Expect: 100-continue\r\n\r\n", FramingLimits{}).request->expect_continue);
}

TEST_CASE("raw bytes run through the framer and the routes without a socket, pipelined answers in order",
          "[server][framer]") {
    consent::test::RunningServer s;
    const auto answers =
        s.http().answer_bytes(kHead + "\r\n" + "PUT /healthz HTTP/1.1\r\nHost: a\r\n\r\n" +
                              "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n" + kHead + std::string("X: a\0b\r\n\r\n", 10));
    REQUIRE(answers.size() == 4);
    CHECK(answers[0].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(answers[1].rfind("HTTP/1.1 405 ", 0) == 0);
    CHECK(answers[1].find("Allow: GET, HEAD\r\n") != std::string::npos);
    CHECK(answers[1].find("request.method_not_allowed") != std::string::npos);
    CHECK(answers[2].rfind("HTTP/1.1 404 ", 0) == 0);
    CHECK(answers[3].rfind("HTTP/1.1 400 ", 0) == 0);
    const auto incomplete = s.http().answer_bytes("GET /healthz HTTP/1.1\r\nHo");
    REQUIRE(incomplete.size() == 1);
    CHECK(incomplete[0].rfind("HTTP/1.1 408 ", 0) == 0);
}
