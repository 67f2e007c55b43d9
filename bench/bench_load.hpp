// Closed-loop load on 127.0.0.1: N client threads, each with its own keep-alive
// httplib::Client, send one request after another until a deadline or a bound
// on requests, and time every request. Clients connect before the clock starts,
// so TCP handshakes and thread start-up are not in the figures.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include <httplib.h>

namespace consent::bench {

using Clock = std::chrono::steady_clock;

double milliseconds_between(Clock::time_point from, Clock::time_point to);

struct LoadPlan {
    std::size_t clients = 1;
    std::chrono::milliseconds duration{2000};
    std::size_t max_requests_per_client = 200000;  // a bound even if the deadline were never reached
};

// The n-th request of client `client`. Returns the items it completed (one
// receipt, one check, a batch's pairs), 0 for a failed or unexpected answer.
// Each client calls it from its own thread: state indexed by `client` needs no lock.
using RequestFn = std::function<std::size_t(httplib::Client&, std::size_t client, std::size_t n)>;

struct LoadResult {
    std::size_t requests = 0;
    std::size_t items = 0;
    std::size_t failures = 0;
    double seconds = 0.0;
    double cpu_seconds = 0.0;          // the whole process's, over the window
    std::vector<double> latencies_ms;  // successful requests only

    double items_per_second() const { return seconds > 0.0 ? static_cast<double>(items) / seconds : 0.0; }
};

// Keep-alive, TCP_NODELAY (the client sends headers and body in separate
// writes: with Nagle the body waits for the server's delayed ACK), timeouts.
httplib::Client make_client(int port);

LoadResult run_load(int port, const LoadPlan& plan, const RequestFn& request);

double process_cpu_seconds();

}  // namespace consent::bench
