// The machine's ceilings, measured in the same run as the server so that the
// ratios compare like with like on a noisy shared machine: what one core signs,
// what the disk makes durable, what bare cpp-httplib answers with consentd's
// settings. Each call runs until its deadline or its bound, whichever is first.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/server_config.hpp"

namespace consent::bench {

struct CeilingResult {
    double per_second = 0.0;
    std::vector<double> latencies_ms;  // per operation, when each was timed
};

// libsodium crypto_sign_detached over `message` (a receipt's JWS signing input), one thread.
CeilingResult ed25519_signatures(const std::string& message, std::chrono::milliseconds duration,
                                 std::size_t max_signatures);

// One small INSERT per transaction into a fresh table of `path`, WAL mode,
// synchronous=FULL, one thread: the durable commits the disk allows without grouping.
CeilingResult sqlite_durable_commits(const std::string& path, std::chrono::milliseconds duration,
                                     std::size_t max_commits);

// cpp-httplib configured like consentd (TCP_NODELAY, keep-alive, worker pool,
// backlog) with two routes that do nothing but answer: GET /bare a check-sized
// JSON body (the HTTP ceiling of a single check), and POST /bare, which takes a
// decision's body and gives back `post_answer` with 201 (the HTTP ceiling of a
// receipt: what is left for signing and storing is the rest).
class BareHttpServer {
public:
    BareHttpServer(const server::ServerConfig& config, std::string post_answer);
    ~BareHttpServer();
    BareHttpServer(const BareHttpServer&) = delete;
    BareHttpServer& operator=(const BareHttpServer&) = delete;
    int port() const { return port_; }

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
    std::thread serving_;
    int port_ = -1;
};

}  // namespace consent::bench
