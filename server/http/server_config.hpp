// consentd's configuration: one struct, validated at start-up. Every limit is a
// named default that an operator can override (cpp-httplib's own habit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consent/result.hpp"

namespace consent::server {

struct ServerConfig {
    std::string database = "consentd.db";
    std::string key_dir = "consentd-keys";
    std::string host = "127.0.0.1";
    int port = 8710;
    std::size_t max_body_bytes = 16 * 1024;          // public endpoints: a decision is well under 2 KiB
    std::size_t backend_max_body_bytes = 128 * 1024; // backend: a batch of 1000 checks is about 64 KiB
    std::uint32_t public_rate_per_minute = 120;  // per client address, public endpoints
    std::uint32_t public_rate_burst = 30;
    std::size_t worker_threads = 32;             // one blocking thread per connection in flight
    std::size_t keep_alive_max_requests = 1000;
    int keep_alive_seconds = 5;
    int read_timeout_seconds = 5;
    int write_timeout_seconds = 5;
    int listen_backlog = 1024;                   // Debian's httplib listens with 5 (TOOLCHAIN.md)
    int event_heartbeat_seconds = 15;
    std::string log_origin = "consentd/receipts";  // checkpoint origin line: name each deployment's log uniquely            // SSE comment lines that keep proxies from closing idle streams
};

// Reads --flag=value arguments over the defaults. Errors: config.unknown_flag,
// config.invalid_value (the message names the flag).
Result<ServerConfig> parse_server_config(const std::vector<std::string>& args);

}  // namespace consent::server
