// consentd's configuration: one struct, validated at start-up. Every limit is a
// named default that an operator can override (cpp-httplib's own habit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "http/client_address.hpp"
#include "http/rate_limiter.hpp"

namespace consent::server {

struct ServerConfig {
    std::string database = "consentd.db";
    std::string key_dir = "consentd-keys";
    std::string host = "127.0.0.1";
    int port = 8710;
    std::size_t max_body_bytes = 16 * 1024;           // public endpoints: a decision is well under 2 KiB
    std::size_t backend_max_body_bytes = 128 * 1024;  // backend: a batch of 1000 checks is about 64 KiB
    std::uint32_t public_rate_per_minute = 120;       // per client (IPv4 address, IPv6 /64): the banner's routes
    std::uint32_t public_rate_burst = 30;
    // The open routes (checkpoint, proofs, JWKS): a proof costs O(log^2 n) reads.
    // A receipts page checks each receipt's proof, so the burst is generous.
    std::uint32_t open_rate_per_minute = 600;
    std::uint32_t open_rate_burst = 120;
    std::size_t rate_limit_buckets = RateLimiter::kDefaultMaxBuckets;  // clients remembered, per limiter
    // Proxies whose X-Forwarded-For (or Forwarded) names the client; empty: the
    // socket peer is always the client (consentd reachable directly).
    TrustedProxies trusted_proxies;
    std::size_t worker_threads = 32;  // run complete requests (the routes, the service, the store)
    std::size_t keep_alive_max_requests = 1000;
    int keep_alive_seconds = 5;      // idle time allowed between requests on one connection
    int read_timeout_seconds = 10;   // deadline for a whole request head and body, from its first byte
    int write_timeout_seconds = 10;  // deadline for writing a whole answer
    int linger_seconds = 2;          // input drained after a refusal, so the client reads the answer
    int listen_backlog = 1024;       // Debian's httplib listens with 5 (TOOLCHAIN.md)
    // The HTTP edge (issue #10: consentd frames requests itself, RFC 9112).
    std::size_t max_head_bytes = 16 * 1024;        // request line + headers; more is 431
    std::size_t max_header_count = 100;            // more is 431
    std::size_t max_connections = 1000;            // request connections of the process (event streams apart)
    std::size_t max_connections_per_client = 128;  // per client address; more is 503
    // Event streams (GET /v1/sites/{site}/events), written by their own pump thread.
    int event_heartbeat_seconds = 15;  // SSE comment lines that keep proxies from closing idle streams
    std::size_t max_event_streams = 256;
    std::size_t max_event_streams_per_key = 32;  // more is 429
    std::size_t max_event_streams_per_site = 64;
    std::size_t event_stream_buffer_bytes = 256 * 1024;  // unsent output of one stream
    std::string log_origin = "consentd/receipts";        // checkpoint origin line: name each deployment's log uniquely
    // Operations: one log line per request (request_log.hpp), and a bounded stop.
    bool log_requests = true;
    std::string log_file;  // empty: standard error (the journal under systemd)
    // Retention (issue #13): every this many seconds each site's period is applied; 0 turns it off.
    int retention_interval_seconds = 3600;
    int stop_timeout_seconds = 10;  // SIGTERM: in-flight requests answered within this, then exit
};

// Reads --flag=value arguments over the defaults. --trusted-proxy=CIDR[,CIDR...]
// may be repeated (the lists add up). --config=FILE first applies the file's
// "name = value" lines (config_file.hpp; a name is a flag without its "--"),
// then the flags, which override it: a flag given on the command line replaces
// the file's value, and for --trusted-proxy all of the file's lines. Errors:
// config.unknown_flag, config.invalid_value (the message names the flag, and
// FILE:LINE for a line of the file, and says what is wrong), config.unreadable;
// then validate_server_config.
Result<ServerConfig> parse_server_config(const std::vector<std::string>& args);

// consentd --help: one line per option, with its default.
std::string server_config_help();

// Every option as a "name = value" line of a configuration file, from config's
// values (a default ServerConfig gives the shipped file's values).
std::string server_config_file_text(const ServerConfig& config);

// Limits that only make sense together. Error: config.invalid_value.
Status validate_server_config(const ServerConfig& config);

}  // namespace consent::server
