#include "http/server_config.hpp"

#include <charconv>
#include <functional>
#include <map>

namespace consent::server {
namespace {

using Setter = std::function<bool(ServerConfig&, const std::string&)>;

template <class T>
Setter number(T ServerConfig::*field, long long min, long long max) {
    return [=](ServerConfig& c, const std::string& v) {
        long long n = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max) return false;
        c.*field = static_cast<T>(n);
        return true;
    };
}

Setter text(std::string ServerConfig::*field) {
    return [=](ServerConfig& c, const std::string& v) {
        if (v.empty()) return false;
        c.*field = v;
        return true;
    };
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
        {"--threads", number(&ServerConfig::worker_threads, 2, 1024)},
        {"--keep-alive-max", number(&ServerConfig::keep_alive_max_requests, 1, 1000000)},
        {"--listen-backlog", number(&ServerConfig::listen_backlog, 16, 65535)},
        {"--heartbeat-seconds", number(&ServerConfig::event_heartbeat_seconds, 1, 3600)},
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
        if (eq == std::string::npos || !setter->second(config, arg.substr(eq + 1)))
            return make_error("config.invalid_value", "invalid value for " + flag);
    }
    return config;
}

}  // namespace consent::server
