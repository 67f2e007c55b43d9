#include "http/server_config.hpp"

#include <charconv>
#include <functional>
#include <optional>
#include <set>

#include "http/config_file.hpp"

namespace consent::server {
namespace {

// One option: how to set it from text, how to show its value, what it is for.
struct Option {
    const char* name;                                                                  // without "--"
    std::function<std::optional<std::string>(ServerConfig&, const std::string&)> set;  // nullopt, or what is wrong
    std::function<std::string(const ServerConfig&)> show;
    const char* help;
    const char* value = "N";  // what --help shows after "="
};

template <class T>
Option number(const char* name, T ServerConfig::*field, long long min, long long max, const char* help) {
    return {name,
            [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
                long long n = 0;
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
                    return "an integer from " + std::to_string(min) + " to " + std::to_string(max) + " is expected";
                c.*field = static_cast<T>(n);
                return std::nullopt;
            },
            [=](const ServerConfig& c) { return std::to_string(c.*field); }, help};
}

Option text(const char* name, std::string ServerConfig::*field, const char* help) {
    return {name,
            [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
                if (v.empty()) return "it must not be empty";
                c.*field = v;
                return std::nullopt;
            },
            [=](const ServerConfig& c) { return c.*field; }, help, "TEXT"};
}

Option path(const char* name, std::string ServerConfig::*field, const char* help) {
    Option o = text(name, field, help);
    o.value = "PATH";
    return o;
}

// A path that may be empty: empty keeps the default meaning (standard error).
Option optional_path(const char* name, std::string ServerConfig::*field, const char* help) {
    return {name,
            [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
                c.*field = v;
                return std::nullopt;
            },
            [=](const ServerConfig& c) { return c.*field; }, help, "PATH"};
}

Option on_off(const char* name, bool ServerConfig::*field, const char* help) {
    return {name,
            [=](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
                if (v != "on" && v != "off") return "on or off is expected";
                c.*field = v == "on";
                return std::nullopt;
            },
            [=](const ServerConfig& c) { return std::string(c.*field ? "on" : "off"); }, help, "on|off"};
}

// Repeatable: each occurrence adds its networks.
std::optional<std::string> add_trusted_proxies(ServerConfig& c, const std::string& v) {
    auto list = parse_cidr_list(v);
    if (!list) return list.error().message;
    c.trusted_proxies.networks.insert(c.trusted_proxies.networks.end(), list->begin(), list->end());
    return std::nullopt;
}

std::string show_trusted_proxies(const ServerConfig& c) {
    std::string out;
    for (const auto& n : c.trusted_proxies.networks) out += (out.empty() ? "" : ",") + n.to_string();
    return out;
}

std::optional<std::string> set_forwarded_header(ServerConfig& c, const std::string& v) {
    if (v == "x-forwarded-for") c.trusted_proxies.header = ForwardedHeader::x_forwarded_for;
    else if (v == "forwarded") c.trusted_proxies.header = ForwardedHeader::forwarded;
    else return "x-forwarded-for or forwarded is expected";
    return std::nullopt;
}

std::string show_forwarded_header(const ServerConfig& c) {
    return c.trusted_proxies.header == ForwardedHeader::forwarded ? "forwarded" : "x-forwarded-for";
}

// In the order --help and the shipped configuration file list them.
const std::vector<Option>& options() {
    using C = ServerConfig;
    static const std::vector<Option> table{
        path("database", &C::database,
             "the SQLite file (created by consentctl init), or postgresql://… shared by replicas (docs/replicas.md)"),
        path("keys", &C::key_dir, "the signing keys' directory (0700, created by consentctl init)"),
        text("log-origin", &C::log_origin, "the checkpoint origin line: name each deployment's log uniquely"),
        text("host", &C::host, "the address to listen on"),
        number("port", &C::port, 0, 65535, "the port to listen on (0 picks a free one)"),
        {"trusted-proxy", add_trusted_proxies, show_trusted_proxies,
         "proxies whose forwarding header names the client; repeatable (default: none)", "CIDR[,CIDR...]"},
        {"forwarded-header", set_forwarded_header, show_forwarded_header, "the header a trusted proxy writes",
         "x-forwarded-for|forwarded"},
        number("max-body-bytes", &C::max_body_bytes, 256, 1 << 20, "request body limit of the banner's routes"),
        number("backend-max-body-bytes", &C::backend_max_body_bytes, 256, 16 << 20,
               "request body limit of the backend routes"),
        number("rate-per-minute", &C::public_rate_per_minute, 1, 1000000,
               "banner routes: requests per client a minute"),
        number("rate-burst", &C::public_rate_burst, 1, 1000000, "banner routes: burst per client"),
        number("open-rate-per-minute", &C::open_rate_per_minute, 1, 1000000,
               "log and key routes: requests per client a minute"),
        number("open-rate-burst", &C::open_rate_burst, 1, 1000000, "log and key routes: burst per client"),
        number("rate-buckets", &C::rate_limit_buckets, 1, 10000000, "clients remembered per rate limiter"),
        number("threads", &C::worker_threads, 2, 1024, "worker threads that run complete requests"),
        number("keep-alive-max", &C::keep_alive_max_requests, 1, 1000000, "requests per connection"),
        number("keep-alive-seconds", &C::keep_alive_seconds, 1, 3600, "idle time allowed between requests"),
        number("listen-backlog", &C::listen_backlog, 16, 65535, "the listening socket's backlog"),
        number("request-deadline-seconds", &C::read_timeout_seconds, 1, 3600,
               "a whole request head and body must arrive within this"),
        number("write-timeout-seconds", &C::write_timeout_seconds, 1, 3600,
               "a whole answer must be written within this"),
        number("linger-seconds", &C::linger_seconds, 0, 60, "input drained after a refusal before the close"),
        number("max-head-bytes", &C::max_head_bytes, 1024, 1 << 20, "request line and headers; more is 431"),
        number("max-headers", &C::max_header_count, 8, 10000, "header fields per request; more is 431"),
        number("max-connections", &C::max_connections, 16, 1000000, "open request connections in all"),
        number("max-connections-per-client", &C::max_connections_per_client, 1, 1000000,
               "open request connections per client address"),
        number("heartbeat-seconds", &C::event_heartbeat_seconds, 1, 3600, "event streams: idle heartbeat interval"),
        number("max-event-streams", &C::max_event_streams, 1, 1000000, "event streams in all"),
        number("max-event-streams-per-key", &C::max_event_streams_per_key, 1, 1000000, "event streams per API key"),
        number("max-event-streams-per-site", &C::max_event_streams_per_site, 1, 1000000, "event streams per site"),
        number("event-stream-buffer-bytes", &C::event_stream_buffer_bytes, 4096, 64 << 20,
               "unsent output one event stream may hold"),
        on_off("log-requests", &C::log_requests,
               "one log line per request (id, method, route, status, latency, bytes)"),
        optional_path("log-file", &C::log_file, "append request logs here (empty: standard error)"),
        number("retention-interval-seconds", &C::retention_interval_seconds, 0, 7 * 86400,
               "apply each site's retention period this often (consentctl retention set); 0: never"),
        number("stop-timeout-seconds", &C::stop_timeout_seconds, 1, 3600,
               "on SIGTERM, in-flight requests get this long to be answered"),
    };
    return table;
}

const Option* find_option(const std::string& name) {
    for (const auto& o : options())
        if (name == o.name) return &o;
    return nullptr;
}

// One argument or file line, applied; where is "" for a flag, "FILE:LINE: " for a line.
Status apply(ServerConfig& config, const std::string& name, const std::optional<std::string>& value,
             const std::string& where) {
    const std::string shown = where.empty() ? "--" + name : name;
    const Option* option = find_option(name);
    if (!option) return make_error("config.unknown_flag", where + "unknown option " + shown);
    const auto wrong =
        value ? option->set(config, *value) : std::optional<std::string>("it needs a value (" + shown + "=...)");
    if (wrong) return make_error("config.invalid_value", where + "invalid value for " + shown + ": " + *wrong);
    return Unit{};
}

struct Flag {
    std::string name;  // without "--"
    std::optional<std::string> value;
};

Result<std::vector<Flag>> split_flags(const std::vector<std::string>& args) {
    std::vector<Flag> flags;
    for (const auto& arg : args) {
        if (arg.rfind("--", 0) != 0) return make_error("config.unknown_flag", "unexpected argument " + arg);
        const auto eq = arg.find('=');
        flags.push_back({arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2),
                         eq == std::string::npos ? std::nullopt : std::optional<std::string>(arg.substr(eq + 1))});
    }
    return flags;
}

// The file's lines first, each unless a flag names the same option; then the flags.
Status apply_file(ServerConfig& config, const std::string& path, const std::vector<Flag>& flags) {
    auto lines = read_config_file(path);
    if (!lines) return lines.error();
    std::set<std::string> overridden;
    for (const auto& f : flags) overridden.insert(f.name);
    for (const auto& line : *lines) {
        if (line.name == "config")
            return make_error("config.unknown_flag", line.where + ": a file cannot name another");
        if (!find_option(line.name))
            return make_error("config.unknown_flag", line.where + ": unknown option " + line.name);
        if (overridden.count(line.name)) continue;
        if (auto s = apply(config, line.name, line.value, line.where + ": "); !s) return s;
    }
    return Unit{};
}

}  // namespace

Result<ServerConfig> parse_server_config(const std::vector<std::string>& args) {
    auto flags = split_flags(args);
    if (!flags) return flags.error();
    std::vector<Flag> rest;
    std::optional<std::string> file;
    for (const auto& f : *flags) {
        if (f.name != "config") {
            rest.push_back(f);
            continue;
        }
        if (!f.value || f.value->empty())
            return make_error("config.invalid_value", "--config needs a file (--config=FILE)");
        if (file) return make_error("config.invalid_value", "--config may be given once");
        file = f.value;
    }
    ServerConfig config;
    if (file)
        if (auto s = apply_file(config, *file, rest); !s) return s.error();
    for (const auto& f : rest)
        if (auto s = apply(config, f.name, f.value, ""); !s) return s.error();
    if (auto valid = validate_server_config(config); !valid) return valid.error();
    return config;
}

std::string server_config_help() {
    const ServerConfig defaults;
    std::string out;
    const auto line = [&out](const std::string& flag, const std::string& help) {
        out += "  " + flag + std::string(flag.size() < 36 ? 36 - flag.size() : 1, ' ') + help + "\n";
    };
    line("--config=FILE", "read \"name = value\" lines first; flags override them");
    for (const auto& o : options()) {
        const std::string value = o.show(defaults);
        line("--" + std::string(o.name) + "=" + o.value,
             std::string(o.help) + (value.empty() ? "" : " (default " + value + ")"));
    }
    line("--help", "print this and exit");
    line("--version", "print the version and exit");
    return out;
}

std::string server_config_file_text(const ServerConfig& config) {
    std::string out;
    for (const auto& o : options()) {
        const std::string value = o.show(config);
        // An option without a value stays at its default: the line is shown, commented out.
        out += "# " + std::string(o.help) + "\n" + (value.empty() ? "#" : "") + o.name +
               (value.empty() ? " =" : " = ") + value + "\n";
    }
    return out;
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
        c.event_heartbeat_seconds < 1 || c.linger_seconds < 0 || c.stop_timeout_seconds < 1)
        return invalid("timeouts must be at least one second");
    return Unit{};
}

}  // namespace consent::server
