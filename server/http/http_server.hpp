// consentd's HTTP API v1 (docs/openapi.yaml): routes parse and validate, call
// the service, and map errors through one table. Handlers stay a few lines.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/rate_limiter.hpp"
#include "http/request_log.hpp"
#include "http/server_config.hpp"
#include "service/consent_service.hpp"

namespace consent::server {

class HttpServer {
public:
    // log: where each answered request is written (request_log.hpp); off by default.
    HttpServer(ConsentService& service, ServerConfig config, RequestLog log = RequestLog());
    ~HttpServer();

    // Binds (port 0 picks a free one) and returns the port, or -1.
    int bind();
    // Serves until stop(); returns false if the socket failed.
    bool serve();
    // From any thread: stops accepting, answers the requests already received
    // (within config.stop_timeout_seconds), then serve() returns.
    void stop();

    // Runs raw bytes, as one connection's input, through the same request
    // framer and routes as the socket path, with no socket (a fuzz target's
    // entry point; bind() is not needed). Returns each answer's bytes in
    // order; an event stream answers with its head only.
    std::vector<std::string> answer_bytes(std::string_view bytes);

    struct Metrics {
        std::atomic<std::uint64_t> requests{0};
        std::atomic<std::uint64_t> client_errors{0};
        std::atomic<std::uint64_t> server_errors{0};
        std::atomic<std::uint64_t> decisions_recorded{0};
        std::atomic<std::uint64_t> decisions_replayed{0};
        std::atomic<std::uint64_t> checks{0};
        std::atomic<std::uint64_t> checks_at_once{0};  // of those, answered on the connection loop's thread
        std::atomic<std::uint64_t> rate_limited{0};
    };

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace consent::server
