// consentd's configuration: one struct, validated at start-up. Every limit is a
// named default that an operator can override (cpp-httplib's own habit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consent/result.hpp"
#include "http/client_address.hpp"
#include "http/rate_limiter.hpp"

namespace consent::server {

struct ServerConfig {
    std::string database = "consentd.db";
    std::string key_dir = "consentd-keys";
    std::string host = "127.0.0.1";
    int port = 8710;
    std::size_t max_body_bytes = 16 * 1024;          // public endpoints: a decision is well under 2 KiB
    std::size_t backend_max_body_bytes = 128 * 1024; // backend: a batch of 1000 checks is about 64 KiB
    std::uint32_t public_rate_per_minute = 120;  // per client (IPv4 address, IPv6 /64): the banner's routes
    std::uint32_t public_rate_burst = 30;
    // The open routes (checkpoint, proofs, JWKS): a proof costs O(log^2 n) reads.
    // A receipts page checks each receipt's proof, so the burst is generous.
    std::uint32_t open_rate_per_minute = 600;
    std::uint32_t open_rate_burst = 120;
    std::size_t rate_limit_buckets = RateLimiter::kDefaultMaxBuckets;  // clients remembered, per limiter
    // Proxies whose X-Forwarded-For (or Forwarded) names the client; empty: the
    // socket peer is always the client (consentd reachable directly).
    TrustedProxies trusted_proxies;
    std::size_t worker_threads = 32;             // one blocking thread per connection in flight
    std::size_t keep_alive_max_requests = 1000;
    int keep_alive_seconds = 5;
    int read_timeout_seconds = 5;
    int write_timeout_seconds = 5;
    int listen_backlog = 1024;                   // Debian's httplib listens with 5 (TOOLCHAIN.md)
    int event_heartbeat_seconds = 15;            // SSE comment lines that keep proxies from closing idle streams
    std::string log_origin = "consentd/receipts";  // checkpoint origin line: name each deployment's log uniquely
};

// Reads --flag=value arguments over the defaults. --trusted-proxy=CIDR[,CIDR...]
// may be repeated (the lists add up). Errors: config.unknown_flag,
// config.invalid_value (the message names the flag and says what is wrong).
Result<ServerConfig> parse_server_config(const std::vector<std::string>& args);

}  // namespace consent::server
