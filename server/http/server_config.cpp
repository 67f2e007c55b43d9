#include "http/server_config.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <optional>

namespace consent::server {
namespace {

// Sets one field from a flag's value; nullopt on success, else what is wrong.
using Setter = std::function<std::optional<std::string>(ServerConfig&, const std::string&)>;

template <class T>
Setter number(T ServerConfig::*field, long long min, long long max) {
    return [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
        long long n = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
            return "an integer from " + std::to_string(min) + " to " + std::to_string(max) + " is expected";
        c.*field = static_cast<T>(n);
        return std::nullopt;
    };
}

Setter text(std::string ServerConfig::*field) {
    return [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
        if (v.empty()) return "it must not be empty";
        c.*field = v;
        return std::nullopt;
    };
}

// Repeatable: each occurrence adds its networks.
std::optional<std::string> add_trusted_proxies(ServerConfig& c, const std::string& v) {
    auto list = parse_cidr_list(v);
    if (!list) return list.error().message;
    c.trusted_proxies.networks.insert(c.trusted_proxies.networks.end(), list->begin(), list->end());
    return std::nullopt;
}

std::optional<std::string> set_forwarded_header(ServerConfig& c, const std::string& v) {
    if (v == "x-forwarded-for") c.trusted_proxies.header = ForwardedHeader::x_forwarded_for;
    else if (v == "forwarded") c.trusted_proxies.header = ForwardedHeader::forwarded;
    else return "x-forwarded-for or forwarded is expected";
    return std::nullopt;
}

const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> table{
        {"--database", text(&ServerConfig::database)},
        {"--keys", text(&ServerConfig::key_dir)},
        {"--log-origin", text(&ServerConfig::log_origin)},
        {"--host", text(&ServerConfig::host)},
        {"--port", number(&ServerConfig::port, 0, 65535)},
        {"--max-body-bytes", number(&ServerConfig::max_body_bytes, 256, 1 << 20)},
        {"--backend-max-body-bytes", number(&ServerConfig::backend_max_body_bytes, 256, 16 << 20)},
        {"--rate-per-minute", number(&ServerConfig::public_rate_per_minute, 1, 1000000)},
        {"--rate-burst", number(&ServerConfig::public_rate_burst, 1, 1000000)},
        {"--open-rate-per-minute", number(&ServerConfig::open_rate_per_minute, 1, 1000000)},
        {"--open-rate-burst", number(&ServerConfig::open_rate_burst, 1, 1000000)},
        {"--rate-buckets", number(&ServerConfig::rate_limit_buckets, 1, 10000000)},
        {"--trusted-proxy", add_trusted_proxies},
        {"--forwarded-header", set_forwarded_header},
        {"--threads", number(&ServerConfig::worker_threads, 2, 1024)},
        {"--keep-alive-max", number(&ServerConfig::keep_alive_max_requests, 1, 1000000)},
        {"--listen-backlog", number(&ServerConfig::listen_backlog, 16, 65535)},
        {"--keep-alive-seconds", number(&ServerConfig::keep_alive_seconds, 1, 3600)},
        {"--request-deadline-seconds", number(&ServerConfig::read_timeout_seconds, 1, 3600)},
        {"--write-timeout-seconds", number(&ServerConfig::write_timeout_seconds, 1, 3600)},
        {"--linger-seconds", number(&ServerConfig::linger_seconds, 0, 60)},
        {"--max-head-bytes", number(&ServerConfig::max_head_bytes, 1024, 1 << 20)},
        {"--max-headers", number(&ServerConfig::max_header_count, 8, 10000)},
        {"--max-connections", number(&ServerConfig::max_connections, 16, 1000000)},
        {"--max-connections-per-client", number(&ServerConfig::max_connections_per_client, 1, 1000000)},
        {"--heartbeat-seconds", number(&ServerConfig::event_heartbeat_seconds, 1, 3600)},
        {"--max-event-streams", number(&ServerConfig::max_event_streams, 1, 1000000)},
        {"--max-event-streams-per-key", number(&ServerConfig::max_event_streams_per_key, 1, 1000000)},
        {"--max-event-streams-per-site", number(&ServerConfig::max_event_streams_per_site, 1, 1000000)},
        {"--event-stream-buffer-bytes", number(&ServerConfig::event_stream_buffer_bytes, 4096, 64 << 20)},
    };
    return table;
}

}  // namespace

Result<ServerConfig> parse_server_config(const std::vector<std::string>& args) {
    ServerConfig config;
    for (const auto& arg : args) {
        const auto eq = arg.find('=');
        const std::string flag = arg.substr(0, eq);
        const auto setter = setters().find(flag);
        if (setter == setters().end()) return make_error("config.unknown_flag", "unknown option " + flag);
        const auto wrong = eq == std::string::npos ? std::optional<std::string>("it needs a value (" + flag + "=...)")
                                                   : setter->second(config, arg.substr(eq + 1));
        if (wrong) return make_error("config.invalid_value", "invalid value for " + flag + ": " + *wrong);
    }
    if (auto valid = validate_server_config(config); !valid) return valid.error();
    return config;
}

Status validate_server_config(const ServerConfig& c) {
    const auto invalid = [](const std::string& why) { return make_error("config.invalid_value", why); };
    if (c.max_connections_per_client > c.max_connections)
        return invalid("--max-connections-per-client must not exceed --max-connections");
    if (c.max_event_streams_per_key > c.max_event_streams_per_site ||
        c.max_event_streams_per_site > c.max_event_streams)
        return invalid("event stream limits must grow from per key to per site to overall");
    if (c.max_head_bytes < 1024 || c.max_header_count < 8 || c.worker_threads < 1 || c.max_connections < 1)
        return invalid("the HTTP limits are too small to serve a request");
    if (c.read_timeout_seconds < 1 || c.write_timeout_seconds < 1 || c.keep_alive_seconds < 1 ||
        c.event_heartbeat_seconds < 1 || c.linger_seconds < 0)
        return invalid("timeouts must be at least one second");
    return Unit{};
}

}  // namespace consent::server
