#include "http/http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "consent/canonical_json.hpp"
#include "consent/encoding.hpp"
#include "consent/state_json.hpp"
#include "http/api_keys.hpp"
#include "http/error_mapping.hpp"
#include "service/opt_in_stats.hpp"

namespace consent::server {
namespace {

using nlohmann::json;
using httplib::Request;
using httplib::Response;

const std::string kSite = R"(/v1/sites/([a-z0-9][a-z0-9_-]{0,63}))";
const std::string kSubject = R"(/subjects/([A-Za-z0-9_.:@-]{1,128}))";

// Gives access to the listening socket so it can listen again with a real
// backlog (Debian's 0.11 listens with 5 and has no setter).
class ListeningServer : public httplib::Server {
public:
    int listening_socket() const { return static_cast<int>(svr_sock_); }
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void send_json(Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(Response& res, const Error& error) {
    res.status = http_status_for(error);
    res.set_content(error_body(error), "application/json");
}

json hashes_json(const std::vector<merkle::Hash>& hashes) {
    json out = json::array();
    for (const auto& h : hashes) out.push_back(base64_encode(h));
    return out;
}

// The receipt travels with its place in the log: the checkpoint that includes
// it and the inclusion proof, so the banner can keep all three.
json receipt_answer(const DecisionAnswer& a) {
    json out = {{"receipt_id", a.receipt.receipt_id}, {"receipt", a.receipt.jws}, {"log_index", a.receipt.log_index},
                {"server_time", a.receipt.server_time}, {"replayed", a.replayed}};
    if (!a.checkpoint.note.empty()) {
        out["checkpoint"] = a.checkpoint.note;
        out["tree_size"] = a.checkpoint.tree_size;
        out["inclusion_proof"] = hashes_json(a.inclusion);
    }
    return out;
}

// A query parameter that must be a non-negative decimal integer.
Result<std::int64_t> int_param(const Request& req, const char* name) {
    const std::string text = req.get_param_value(name);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0)
        return make_error("request.invalid_parameter", std::string("query parameter \"") + name +
                                                           "\" must be a non-negative integer");
    return value;
}

// An optional query parameter: absent is nullopt, present must be an integer as above.
Result<std::optional<std::int64_t>> optional_int_param(const Request& req, const char* name) {
    if (!req.has_param(name)) return std::optional<std::int64_t>();
    auto value = int_param(req, name);
    if (!value) return value.error();
    return std::optional<std::int64_t>(*value);
}

Result<OptInQuery> opt_in_query(const Request& req) {
    auto bucket = optional_int_param(req, "bucket");
    if (!bucket) return bucket.error();
    auto since = optional_int_param(req, "since");
    if (!since) return since.error();
    auto until = optional_int_param(req, "until");
    if (!until) return until.error();
    return OptInQuery{*bucket, *since, *until};
}

// Bodies are JSON objects, parsed strictly (duplicate keys rejected).
Result<json> read_body(const Request& req) {
    const auto type = req.get_header_value("Content-Type");
    if (type.rfind("application/json", 0) != 0)
        return make_error("request.unsupported_media_type", "send the body as application/json");
    auto body = parse_json_strict(req.body);
    if (!body) return body.error();
    if (!body->is_object()) return make_error("request.wrong_type", "the body must be a JSON object");
    return body;
}

}  // namespace

class HttpServer::Impl {
public:
    Impl(ConsentService& service, ServerConfig config)
        : service_(service), config_(std::move(config)),
          limiter_(config_.public_rate_per_minute, config_.public_rate_burst) {
        configure();
        public_routes();
        backend_routes();
        log_routes();
        open_routes();
    }

    int bind() {
        const int port = config_.port == 0 ? server_.bind_to_any_port(config_.host)
                                           : (server_.bind_to_port(config_.host, config_.port) ? config_.port : -1);
        if (port < 0) return -1;
        ::listen(server_.listening_socket(), config_.listen_backlog);
        return port;
    }
    bool serve() { return server_.listen_after_bind(); }
    void stop() {
        service_.events().stop();
        server_.stop();
    }

private:
    void configure();
    void public_routes();
    void backend_routes();
    void log_routes();
    void open_routes();
    bool allow_public(const Request& req, Response& res, const std::string& site);
    bool allow_backend(const Request& req, Response& res, const std::string& site);
    void stream_events(const Request& req, Response& res, const std::string& site);
    std::string metrics_text() const;

    ConsentService& service_;
    ServerConfig config_;
    RateLimiter limiter_;
    ListeningServer server_;
    Metrics metrics_;
};

void HttpServer::Impl::configure() {
    // TOOLCHAIN.md: without TCP_NODELAY Nagle meets delayed ACKs (40 ms per request).
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(config_.keep_alive_max_requests);
    server_.set_keep_alive_timeout(config_.keep_alive_seconds);
    server_.set_read_timeout(config_.read_timeout_seconds, 0);
    server_.set_write_timeout(config_.write_timeout_seconds, 0);
    // httplib's limit is the larger one; the public routes enforce their own below.
    server_.set_payload_max_length(std::max(config_.max_body_bytes, config_.backend_max_body_bytes));
    const std::size_t threads = config_.worker_threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    // Errors httplib produces itself (no route, body too large) get the JSON shape too.
    server_.set_error_handler([](const Request&, Response& res) {
        if (!res.body.empty()) return;
        const Error e = res.status == 404   ? make_error("request.not_found", "no such resource")
                        : res.status == 413 ? make_error("request.body_too_large", "the request body is too large")
                        : res.status == 405 ? make_error("request.method_not_allowed", "method not allowed here")
                                            : make_error("request.invalid", "the request could not be read");
        res.set_content(error_body(e), "application/json");
    });
    server_.set_post_routing_handler([this](const Request&, Response& res) {
        metrics_.requests++;
        if (res.status >= 500) metrics_.server_errors++;
        else if (res.status >= 400) metrics_.client_errors++;
    });
}

// CORS allowlist (per site) and the rate limit, for the endpoints the banner calls.
bool HttpServer::Impl::allow_public(const Request& req, Response& res, const std::string& site_id) {
    if (req.body.size() > config_.max_body_bytes) {
        send_error(res, make_error("request.body_too_large", "the request body is too large"));
        return false;
    }
    if (!limiter_.allow(req.remote_addr, now_ms())) {
        metrics_.rate_limited++;
        res.set_header("Retry-After", "1");
        send_error(res, make_error("request.rate_limited", "too many requests; slow down"));
        return false;
    }
    const auto origin = req.get_header_value("Origin");
    if (origin.empty()) return true;  // not a browser: CORS does not apply
    const auto site = service_.store().site(site_id);
    const bool listed = site && std::find(site->allowed_origins.begin(), site->allowed_origins.end(), origin) !=
                                    site->allowed_origins.end();
    if (!listed) {
        send_error(res, make_error("request.origin_not_allowed", "this origin may not call this site's endpoints"));
        return false;
    }
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    return true;
}

bool HttpServer::Impl::allow_backend(const Request& req, Response& res, const std::string& site) {
    auto ok = authorize(service_.store(), req.get_header_value("Authorization"), site);
    if (!ok) send_error(res, ok.error());
    return ok.ok();
}

void HttpServer::Impl::public_routes() {
    server_.Options(kSite + R"(/(notice|decisions|banner-view))", [this](const Request& req, Response& res) {
        if (!allow_public(req, res, req.matches[1])) return;
        res.set_header("Access-Control-Allow-Methods", "GET, POST");
        res.set_header("Access-Control-Allow-Headers", "Content-Type, Consent-Subject-Token");
        res.set_header("Access-Control-Max-Age", "600");
        res.status = 204;
    });
    server_.Get(kSite + "/notice", [this](const Request& req, Response& res) {
        if (!allow_public(req, res, req.matches[1])) return;
        auto current = service_.current_notice(req.matches[1]);
        if (!current) return send_error(res, current.error());
        const StoredNotice& notice = current->notice;
        const std::string etag = "\"" + notice.content_hash + "\"";
        res.set_header("ETag", etag);
        res.set_header("Cache-Control", "no-cache");
        if (req.get_header_value("If-None-Match") == etag) {
            res.status = 304;
            return;
        }
        res.status = 200;
        res.set_content("{\"hash\":\"" + notice.content_hash + "\",\"last_material_version\":" +
                            std::to_string(current->last_material_version) + ",\"notice\":" + notice.canonical_json + "}",
                        "application/json");
    });
    // ?languages=de-AT,de&gpc=1 : the core's first-visit view, for a banner whose wasm did not load.
    server_.Get(kSite + "/banner-view", [this](const Request& req, Response& res) {
        if (!allow_public(req, res, req.matches[1])) return;
        std::vector<std::string> languages;
        std::string list = req.get_param_value("languages");
        for (std::size_t start = 0; start < list.size() && languages.size() < 16;) {
            const std::size_t comma = std::min(list.find(',', start), list.size());
            if (comma > start) languages.push_back(list.substr(start, std::min<std::size_t>(comma - start, 35)));
            start = comma + 1;
        }
        auto view = service_.first_visit_view(req.matches[1], languages, req.get_param_value("gpc") == "1");
        if (!view) return send_error(res, view.error());
        res.set_header("Cache-Control", "no-cache");
        send_json(res, 200, *view);
    });
    server_.Post(kSite + "/decisions", [this](const Request& req, Response& res) {
        if (!allow_public(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        ConsentService::PublicCaller caller{req.get_header_value("Consent-Subject-Token"), std::nullopt};
        if (req.has_header("Origin")) caller.origin = req.get_header_value("Origin");  // checked by allow_public
        auto answer = service_.submit_decision(req.matches[1], *body, caller);
        if (!answer) return send_error(res, answer.error());
        (answer->replayed ? metrics_.decisions_replayed : metrics_.decisions_recorded)++;
        send_json(res, answer->replayed ? 200 : 201, receipt_answer(*answer));
    });
}

void HttpServer::Impl::backend_routes() {
    server_.Get(kSite + kSubject + R"(/purposes/([a-z][a-z0-9_]{0,39}))", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        metrics_.checks++;
        auto verdict = service_.check(req.matches[1], req.matches[2], req.matches[3]);
        if (!verdict) return send_error(res, verdict.error());
        send_json(res, 200, verdict_to_json(*verdict));
    });
    server_.Post(kSite + "/checks", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        auto results = service_.check_batch(req.matches[1], *body);
        if (!results) return send_error(res, results.error());
        metrics_.checks += (*results)["results"].size();
        send_json(res, 200, *results);
    });
    server_.Post(kSite + kSubject + "/withdrawals", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto body = req.body.empty() ? Result<json>(json::object()) : read_body(req);
        if (!body) return send_error(res, body.error());
        auto answer = service_.withdraw(req.matches[1], req.matches[2], *body);
        if (!answer) return send_error(res, answer.error());
        send_json(res, answer->replayed ? 200 : 201, receipt_answer(*answer));
    });
    server_.Get(kSite + kSubject + "/export", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto bundle = service_.export_subject(req.matches[1], req.matches[2]);
        if (!bundle) return send_error(res, bundle.error());
        send_json(res, 200, *bundle);
    });
    server_.Post(kSite + "/notices", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        auto published = service_.publish_notice(req.matches[1], *body);
        if (!published) return send_error(res, published.error());
        send_json(res, 201, {{"version", published->notice.version}, {"hash", published->content_hash}});
    });
    server_.Get(kSite + "/events", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        stream_events(req, res, req.matches[1]);
    });
    server_.Get(kSite + "/stats/opt-in", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto query = opt_in_query(req);
        if (!query) return send_error(res, query.error());
        auto stats = opt_in_stats(service_.store(), req.matches[1], *query, service_.now());
        if (!stats) return send_error(res, stats.error());
        send_json(res, 200, *stats);
    });
}

// Server-sent events: one event per receipt of the site, id = log index, so
// Last-Event-ID resumes exactly after the last one the client saw.
void HttpServer::Impl::stream_events(const Request& req, Response& res, const std::string& site) {
    std::int64_t last = -1;
    const auto resume = req.get_header_value("Last-Event-ID");
    if (!resume.empty()) {
        // from_chars, not strtoll: no leading blanks, and a number beyond int64
        // is an error rather than clamped to INT64_MAX (a stream that never sends).
        const auto [end, ec] = std::from_chars(resume.data(), resume.data() + resume.size(), last);
        if (ec != std::errc() || end != resume.data() + resume.size() || last < -1)
            return send_error(res, make_error("request.invalid_event_id", "Last-Event-ID must be a log index"));
    }
    res.set_header("Cache-Control", "no-store");
    const auto heartbeat = std::chrono::seconds(config_.event_heartbeat_seconds);
    metrics_.event_streams_open++;
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, site, last, heartbeat](std::size_t, httplib::DataSink& sink) mutable {
            const auto batch = service_.store().receipts_after(site, last, 256);
            for (const auto& r : batch) {
                const json data = {{"receipt_id", r.receipt_id}, {"subject", r.subject_id}, {"method", r.method},
                                   {"log_index", r.log_index}, {"server_time", r.server_time}};
                const std::string event =
                    "id: " + std::to_string(r.log_index) + "\nevent: receipt\ndata: " + data.dump() + "\n\n";
                if (!sink.write(event.data(), event.size())) return false;
                last = r.log_index;
            }
            if (!batch.empty()) return true;
            if (service_.events().stopped() || !sink.is_writable()) return false;
            if (service_.events().wait_newer_than(last, heartbeat) <= last) {
                if (!sink.write(":\n\n", 3)) return false;  // heartbeat comment
            }
            return !service_.events().stopped();
        },
        [this](bool) { metrics_.event_streams_open--; });
}

// The log and the keys are public evidence: any page may read them (an
// auditor's verifier, a visitor's receipt page on the site), so no allowlist.
static void allow_any_origin(Response& res) { res.set_header("Access-Control-Allow-Origin", "*"); }

void HttpServer::Impl::log_routes() {
    server_.Get("/v1/log/checkpoint", [this](const Request&, Response& res) {
        allow_any_origin(res);
        auto checkpoint = service_.latest_checkpoint();
        if (!checkpoint) return send_error(res, checkpoint.error());
        res.set_header("Cache-Control", "no-cache");
        res.set_content(checkpoint->note, "text/plain; charset=utf-8");
    });
    server_.Get("/v1/log/proofs/inclusion", [this](const Request& req, Response& res) {
        allow_any_origin(res);
        auto leaf = int_param(req, "leaf");
        auto size = int_param(req, "size");
        if (!leaf || !size) return send_error(res, !leaf ? leaf.error() : size.error());
        auto proof = service_.inclusion_proof(*leaf, *size);
        if (!proof) return send_error(res, proof.error());
        send_json(res, 200, {{"leaf_index", *leaf}, {"tree_size", *size}, {"proof", hashes_json(*proof)}});
    });
    server_.Get("/v1/log/proofs/consistency", [this](const Request& req, Response& res) {
        allow_any_origin(res);
        auto from = int_param(req, "from");
        auto to = int_param(req, "to");
        if (!from || !to) return send_error(res, !from ? from.error() : to.error());
        auto proof = service_.consistency_proof(*from, *to);
        if (!proof) return send_error(res, proof.error());
        send_json(res, 200, {{"from", *from}, {"to", *to}, {"proof", hashes_json(*proof)}});
    });
}

void HttpServer::Impl::open_routes() {
    server_.Get("/.well-known/jwks.json", [this](const Request&, Response& res) {
        allow_any_origin(res);
        res.set_header("Cache-Control", "max-age=300");
        send_json(res, 200, service_.jwks());
    });
    server_.Get("/healthz", [this](const Request&, Response& res) {
        send_json(res, 200, {{"status", "ok"}, {"receipts", service_.store().receipt_count()}});
    });
    server_.Get("/metrics", [this](const Request&, Response& res) {
        res.set_content(metrics_text(), "text/plain; version=0.0.4");
    });
}

std::string HttpServer::Impl::metrics_text() const {
    std::string out;
    const auto counter = [&out](const char* name, const char* help, std::uint64_t value, const char* type = "counter") {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
               std::to_string(value) + "\n";
    };
    counter("consentd_http_requests_total", "HTTP requests answered.", metrics_.requests);
    counter("consentd_http_client_errors_total", "Answers with a 4xx status.", metrics_.client_errors);
    counter("consentd_http_server_errors_total", "Answers with a 5xx status.", metrics_.server_errors);
    counter("consentd_decisions_recorded_total", "Decisions stored as new receipts.", metrics_.decisions_recorded);
    counter("consentd_decisions_replayed_total", "Retried decisions answered with their first receipt.",
            metrics_.decisions_replayed);
    counter("consentd_checks_total", "Consent checks answered.", metrics_.checks);
    counter("consentd_rate_limited_total", "Public requests refused by the rate limit.", metrics_.rate_limited);
    counter("consentd_event_streams_open", "Event streams currently open.", metrics_.event_streams_open, "gauge");
    return out;
}

HttpServer::HttpServer(ConsentService& service, ServerConfig config)
    : impl_(std::make_unique<Impl>(service, std::move(config))) {}
HttpServer::~HttpServer() = default;
int HttpServer::bind() { return impl_->bind(); }
bool HttpServer::serve() { return impl_->serve(); }
void HttpServer::stop() { impl_->stop(); }

}  // namespace consent::server
