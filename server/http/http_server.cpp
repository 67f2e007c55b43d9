#include "http/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "consent/consent/state_json.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"
#include "http/api_keys.hpp"
#include "http/byte_exchange.hpp"
#include "http/connection_loop.hpp"
#include "http/deferred_log.hpp"
#include "http/error_mapping.hpp"
#include "http/event_streams.hpp"
#include "http/request_router.hpp"
#include "http/worker_pool.hpp"
#include "service/acknowledgements.hpp"
#include "service/opt_in_stats.hpp"
#include "service/state_snapshot.hpp"
#include "storage/memory_only.hpp"

namespace consent::server {
namespace {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

const std::string kSite = R"(/v1/sites/([a-z0-9][a-z0-9_-]{0,63}))";
const std::string kSubject = R"(/subjects/([A-Za-z0-9_.:@-]{1,128}))";

// The single check's route (GET kSite kSubject /purposes/{purpose}), told
// from its request line alone; the router still matches it as ever.
bool is_single_check(std::string_view request) {
    constexpr std::string_view kStart = "GET /v1/sites/";
    if (request.substr(0, kStart.size()) != kStart) return false;
    const std::string_view line = request.substr(0, request.find('\r'));
    const auto purposes = line.find("/purposes/");
    return purposes != std::string_view::npos && line.find("/subjects/") < purposes;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void send_json(Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// Every error answer goes through here: the registry gives its status, and a
// retryable one (a busy or full store, a limit) tells the client when to come
// back. The banner's outbox keeps a decision and sends it again on these.
void send_error(Response& res, const Error& error) {
    res.status = http_status_for(error);
    if (is_retryable(error) && !res.has_header("Retry-After")) res.set_header("Retry-After", "1");
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
    json out = {{"receipt_id", a.receipt.receipt_id},
                {"subject", a.receipt.subject_id},  // an account id's pseudonym: what the receipt signs
                {"receipt", a.receipt.jws},
                {"log_index", a.receipt.log_index},
                {"server_time", a.receipt.server_time},
                {"replayed", a.replayed}};
    if (!a.checkpoint.note.empty()) {
        out["checkpoint"] = a.checkpoint.note;
        out["tree_size"] = a.checkpoint.tree_size;
        out["inclusion_proof"] = hashes_json(a.inclusion);
    }
    return out;
}

json erasure_answer_json(const ErasureAnswer& a) {
    json out = {{"erasure_id", a.receipt.receipt_id},   {"erasure", a.receipt.jws}, {"log_index", a.receipt.log_index},
                {"server_time", a.receipt.server_time}, {"erased", a.erased},       {"replayed", a.replayed}};
    if (!a.checkpoint.note.empty()) {
        out["checkpoint"] = a.checkpoint.note;
        out["tree_size"] = a.checkpoint.tree_size;
        out["inclusion_proof"] = hashes_json(a.inclusion);
    }
    return out;
}

// {"reason": "subject_request"}: the only member; the word itself the service checks.
Result<std::string> erasure_reason(const json& body) {
    FieldReader r(body, "", "request");
    r.reject_unknown({"reason"});
    const std::string reason = r.string("reason", 64);
    if (!r.ok()) return r.error();
    return reason;
}

// A query parameter that must be a non-negative decimal integer.
Result<std::int64_t> int_param(const Request& req, const char* name) {
    const std::string text = req.get_param_value(name);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0)
        return make_error("request.invalid_parameter",
                          std::string("query parameter \"") + name + "\" must be a non-negative integer");
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

// ?at=<event id>&after=<subject>&limit=<n>; at may be -1 (a site with no receipt yet).
Result<SnapshotQuery> snapshot_query(const Request& req) {
    SnapshotQuery q;
    if (req.get_param_value("at") == "-1") {
        q.at = -1;
    } else {
        auto at = optional_int_param(req, "at");
        if (!at) return at.error();
        q.at = *at;
    }
    auto limit = optional_int_param(req, "limit");
    if (!limit) return limit.error();
    q.limit = *limit;
    q.after = req.get_param_value("after");
    return q;
}

// Bodies are JSON objects, parsed strictly (duplicate keys rejected).
// text_plain: the public decision route also takes the JSON as text/plain, a
// CORS-safelisted Content-Type (Fetch standard §2.2.2), so the banner's POST
// is a simple request with no preflight round trip; the Origin allowlist,
// body limit and rate limit apply to it as to any other.
Result<json> read_body(const Request& req, bool text_plain = false) {
    const auto type = req.get_header_value("Content-Type");
    const bool plain = text_plain && type.rfind("text/plain", 0) == 0;
    if (type.rfind("application/json", 0) != 0 && !plain)
        return make_error("request.unsupported_media_type", text_plain
                                                                ? "send the body as application/json or text/plain"
                                                                : "send the body as application/json");
    auto body = parse_json_strict(req.body);
    if (!body) return body.error();
    if (!body->is_object()) return make_error("request.wrong_type", "the body must be a JSON object");
    return body;
}

// The key id of a "Bearer ck_<id>.<secret>" header that authorize() accepted.
std::string api_key_id(const std::string& authorization) {
    const auto start = authorization.find("ck_");
    return start == std::string::npos ? authorization
                                      : authorization.substr(start, authorization.find('.', start) - start);
}

FramingLimits framing_limits(const ServerConfig& c) {
    FramingLimits f;
    f.max_head_bytes = c.max_head_bytes;
    f.max_line_bytes = std::min<std::size_t>(f.max_line_bytes, c.max_head_bytes);
    f.max_header_count = c.max_header_count;
    f.max_body_bytes = std::max(c.max_body_bytes, c.backend_max_body_bytes);
    return f;
}

ConnectionLimits connection_limits(const ServerConfig& c) {
    ConnectionLimits l;
    l.framing = framing_limits(c);
    l.max_connections = c.max_connections;
    l.max_connections_per_client = c.max_connections_per_client;
    l.request_deadline = std::chrono::seconds(c.read_timeout_seconds);
    l.idle_timeout = std::chrono::seconds(c.keep_alive_seconds);
    l.write_timeout = std::chrono::seconds(c.write_timeout_seconds);
    l.linger = std::chrono::seconds(c.linger_seconds);
    l.keep_alive_max_requests = c.keep_alive_max_requests;
    l.drain_timeout = std::chrono::seconds(c.stop_timeout_seconds);
    return l;
}

EventStreamLimits stream_limits(const ServerConfig& c) {
    EventStreamLimits l;
    l.max_streams = c.max_event_streams;
    l.max_streams_per_key = c.max_event_streams_per_key;
    l.max_streams_per_site = c.max_event_streams_per_site;
    l.max_buffer_bytes = c.event_stream_buffer_bytes;
    l.heartbeat = std::chrono::seconds(c.event_heartbeat_seconds);
    l.write_timeout = std::chrono::seconds(c.write_timeout_seconds);
    return l;
}

}  // namespace

class HttpServer::Impl {
public:
    Impl(ConsentService& service, ServerConfig config, RequestLog log)
        : service_(service),
          config_(std::move(config)),
          log_(log),
          deferred_log_(log),
          limiter_(config_.public_rate_per_minute, config_.public_rate_burst, config_.rate_limit_buckets),
          open_limiter_(config_.open_rate_per_minute, config_.open_rate_burst, config_.rate_limit_buckets),
          streams_(
              service_.events(),
              [this](const std::string& site, std::int64_t after, std::size_t limit) {
                  return service_.store().receipts_after(site, after, limit);
              },
              [this](const std::string& site) { return notice_event(site); }, stream_limits(config_)),
          workers_(config_.worker_threads),
          caps_(config_.max_connections, config_.max_connections_per_client) {
        for (std::size_t i = 0; i < connection_loop_count(); ++i)
            loops_.push_back(std::make_unique<ConnectionLoop>(connection_limits(config_), workers_, respond_function(),
                                                              streams_, at_once_function(), &caps_));
        configure();
        public_routes();
        backend_routes();
        log_routes();
        open_routes();
    }

    int bind() {
        const int port = loops_.front()->bind(config_.host, config_.port, config_.listen_backlog);
        if (port >= 0)
            for (std::size_t i = 1; i < loops_.size(); ++i) loops_[i]->share_listener(*loops_.front());
        return port;
    }
    bool serve() {
        std::vector<std::thread> others;
        std::atomic<bool> all_ran{true};
        for (std::size_t i = 1; i < loops_.size(); ++i)
            others.emplace_back([this, i, &all_ran] {
                if (!loops_[i]->run()) all_ran = false;
            });
        const bool ran = loops_.front()->run();
        // Stopped or failed: the other loops stop too (each drains its own).
        for (std::size_t i = 1; i < loops_.size(); ++i) loops_[i]->stop();
        for (auto& t : others) t.join();
        workers_.stop();  // requests in flight finish (their commits too) before the streams go
        streams_.stop();
        return ran && all_ran;
    }
    void stop() {
        service_.events().stop();
        for (auto& loop : loops_) loop->stop();
    }
    std::vector<std::string> answer_bytes(std::string_view bytes) {
        ByteExchange exchange(
            [this](std::string_view request, const Peer& peer, bool close) {
                RoutedAnswer answer = server_.respond(request, peer, close);
                if (answer.handover) {  // no socket to hand over: the stream's head, then the end
                    streams_.release(answer.handover->key_id, answer.handover->site_id);
                    answer.bytes = EventStreams::head();
                }
                return answer;
            },
            framing_limits(config_));
        return exchange.answers(bytes);
    }

private:
    void configure();
    void public_routes();
    void backend_routes();
    void log_routes();
    void open_routes();
    bool allow_public(const Request& req, Response& res, const std::string& site);
    bool allow_open(const Request& req, Response& res);
    bool within_limit(RateLimiter& limiter, const Request& req, Response& res);
    bool allow_backend(const Request& req, Response& res, const std::string& site);
    void stream_events(const Request& req, Response& res, const std::string& site);
    Result<EventStreams::NoticeEvent> notice_event(const std::string& site);
    std::string metrics_text() const;
    ConnectionLoop::Respond respond_function() {
        return [this](std::string_view request, const Peer& peer, bool close) {
            const auto started = std::chrono::steady_clock::now();
            RoutedAnswer answer = server_.respond(request, peer, close);
            if (log_.enabled()) {
                answer.record.latency_us =
                    std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                        .count();
                log_.write(answer.record);
            }
            return answer;
        };
    }

    // A single consent check, answered on the connection loop's thread when
    // everything it needs is in memory (storage/memory_only.hpp): no worker
    // wakes for it and the loop does not wait for one. Anything else, or a
    // check that would read the file, goes to a worker as before.
    ConnectionLoop::AnswerAtOnce at_once_function() {
        if (!service_.store().keeps_hot_reads_in_memory()) return nullptr;
        return [this](std::string_view request, const Peer& peer, bool close) -> std::optional<RoutedAnswer> {
            if (!is_single_check(request)) return std::nullopt;
            if (deferred_log_.enabled() && !deferred_log_.has_room()) return std::nullopt;
            const auto started = std::chrono::steady_clock::now();
            MemoryOnlyScope scope;
            RoutedAnswer answer = server_.respond(request, peer, close);
            if (scope.refused()) return std::nullopt;
            metrics_.checks_at_once++;
            if (deferred_log_.enabled()) {
                answer.record.latency_us =
                    std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                        .count();
                deferred_log_.offer(answer.record);
            }
            return answer;
        };
    }

    ConsentService& service_;
    ServerConfig config_;
    RequestLog log_;
    DeferredLog deferred_log_;  // the lines of answers made on the loop's thread
    RateLimiter limiter_;       // the banner's routes
    RateLimiter open_limiter_;  // the log's proofs, checkpoint and keys
    RequestRouter server_;
    Metrics metrics_;
    EventStreams streams_;
    WorkerPool workers_;
    // One connection loop per core (up to 4), all accepting from one
    // listening socket: one loop's thread was the ceiling of single checks
    // answered from memory (issue #11). The caps count across them.
    ConnectionCaps caps_;
    std::vector<std::unique_ptr<ConnectionLoop>> loops_;

    static std::size_t connection_loop_count() {
        return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
    }
    std::size_t refused_total() const {
        std::size_t n = 0;
        for (const auto& loop : loops_) n += loop->refused();
        return n;
    }
};

void HttpServer::Impl::configure() {
    // Sockets, deadlines and connection limits are the ConnectionLoop's; httplib
    // only parses framed requests and routes them. Its keep-alive numbers only
    // go into the Keep-Alive header it writes.
    server_.set_keep_alive_max_count(config_.keep_alive_max_requests);
    server_.set_keep_alive_timeout(config_.keep_alive_seconds);
    // The larger of the two body limits; the public routes enforce their own below.
    server_.set_payload_max_length(std::max(config_.max_body_bytes, config_.backend_max_body_bytes));
    // Errors httplib produces itself (no route, body too large) get the JSON shape too.
    server_.set_error_handler([](const Request&, Response& res) {
        if (!res.body.empty()) return;
        const Error e = res.status == 404   ? make_error("request.not_found", "no such resource")
                        : res.status == 413 ? make_error("request.body_too_large", "the request body is too large")
                        : res.status == 405 ? make_error("request.method_not_allowed", "method not allowed here")
                                            : make_error("request.invalid", "the request could not be read");
        res.set_content(error_body(e), "application/json");
    });
    // An exception in a handler is a bug: 500 server.internal, and never its
    // text in a header (httplib's default puts e.what() in EXCEPTION_WHAT).
    server_.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
        res.headers.clear();
        send_error(res, make_error("server.internal", "an unexpected error occurred"));
    });
    server_.set_post_routing_handler([this](const Request&, Response& res) {
        if (storage_io_refused()) return;  // this attempt is dropped and answered by a worker
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
    if (!within_limit(limiter_, req, res)) return false;
    const auto origin = req.get_header_value("Origin");
    if (origin.empty()) return true;  // not a browser: CORS does not apply
    const auto listed = service_.origin_allowed(site_id, origin);
    if (!listed) {
        send_error(res, listed.error());
        return false;
    }
    if (!*listed) {
        send_error(res, make_error("request.origin_not_allowed", "this origin may not call this site's endpoints"));
        return false;
    }
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    // A cross-origin page reads only the headers listed here: the banner's outbox
    // honours Retry-After (429, 503), and a site reporting a failed choice can
    // quote X-Request-Id, the id of consentd's request-log line.
    res.set_header("Access-Control-Expose-Headers", "Retry-After, X-Request-Id");
    return true;
}

// The client is the socket peer, or whom a trusted proxy names (client_address.hpp).
static std::string client_key_of(const Request& req, const TrustedProxies& trusted) {
    std::vector<std::string> values;
    if (!trusted.networks.empty()) {
        const char* name = trusted.header == ForwardedHeader::forwarded ? "Forwarded" : "X-Forwarded-For";
        for (std::size_t i = 0, n = req.get_header_value_count(name); i < n; ++i)
            values.push_back(req.get_header_value(name, i));
    }
    return client_key(req.remote_addr, values, trusted);
}

bool HttpServer::Impl::within_limit(RateLimiter& limiter, const Request& req, Response& res) {
    if (limiter.allow(client_key_of(req, config_.trusted_proxies), now_ms())) return true;
    metrics_.rate_limited++;
    send_error(res, make_error("request.rate_limited", "too many requests; slow down"));
    return false;
}

bool HttpServer::Impl::allow_backend(const Request& req, Response& res, const std::string& site) {
    auto ok = authorize(service_.store(), req.get_header_value("Authorization"), site);
    if (!ok) send_error(res, ok.error());
    return ok.ok();
}

void HttpServer::Impl::public_routes() {
    server_.Options(kSite + R"(/(notice|decisions|banner-view|erasures))", [this](const Request& req, Response& res) {
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
        res.set_content("{\"hash\":\"" + notice.content_hash +
                            "\",\"last_material_version\":" + std::to_string(current->last_material_version) +
                            ",\"notice\":" + notice.canonical_json + "}",
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
        auto body = read_body(req, true);
        if (!body) return send_error(res, body.error());
        ConsentService::PublicCaller caller{req.get_header_value("Consent-Subject-Token"), std::nullopt};
        if (req.has_header("Origin")) caller.origin = req.get_header_value("Origin");  // checked by allow_public
        auto answer = service_.submit_decision(req.matches[1], *body, caller);
        if (!answer) return send_error(res, answer.error());
        (answer->replayed ? metrics_.decisions_replayed : metrics_.decisions_recorded)++;
        send_json(res, answer->replayed ? 200 : 201, receipt_answer(*answer));
    });
    // The visitor's own erasure (docs/erasure.md "Who may ask"): the id goes in the
    // body, never the path, as a capability must stay out of access logs. JSON
    // only: a browser then always asks first (CORS preflight), as it should
    // before something that cannot be undone.
    server_.Post(kSite + "/erasures", [this](const Request& req, Response& res) {
        if (!allow_public(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        ConsentService::PublicCaller caller{req.get_header_value("Consent-Subject-Token"), std::nullopt};
        auto answer = service_.request_erasure(req.matches[1], *body, caller);
        if (!answer) return send_error(res, answer.error());
        send_json(res, answer->replayed ? 200 : 201, erasure_answer_json(*answer));
    });
}

void HttpServer::Impl::backend_routes() {
    server_.Get(kSite + kSubject + R"(/purposes/([a-z][a-z0-9_]{0,39}))", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto verdict = service_.check(req.matches[1], req.matches[2], req.matches[3]);
        if (storage_io_refused()) return;  // answered again by a worker (storage/memory_only.hpp)
        metrics_.checks++;
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
    // Erasure (issue #13, docs/erasure.md): the subject's receipts lose their bytes, the log keeps its leaves.
    server_.Post(kSite + kSubject + "/erasure", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        auto reason = erasure_reason(*body);
        if (!reason) return send_error(res, reason.error());
        auto answer = service_.erase_subject(req.matches[1], req.matches[2], *reason,
                                             api_key_id(req.get_header_value("Authorization")));
        if (!answer) return send_error(res, answer.error());
        send_json(res, answer->replayed ? 200 : 201, erasure_answer_json(*answer));
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
    server_.Get(kSite + "/snapshot", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto query = snapshot_query(req);
        if (!query) return send_error(res, query.error());
        auto page = state_snapshot(service_, req.matches[1], *query);
        if (!page) return send_error(res, page.error());
        res.set_header("Cache-Control", "no-store");
        send_json(res, 200, *page);
    });
    // Proof that processing stopped (issue #15): a backend's mirror says which withdrawals it applied.
    server_.Post(kSite + "/acknowledgements", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto body = read_body(req);
        if (!body) return send_error(res, body.error());
        // Authorized above, so the key exists: its registration decides which backend it may speak for.
        const std::string key_id = api_key_id(req.get_header_value("Authorization"));
        auto key = service_.store().api_key(stored_key_id(key_id));
        if (!key) return send_error(res, key.error());
        auto answer = acknowledge_receipts(service_, req.matches[1], key_id, key->backend, *body);
        if (!answer) return send_error(res, answer.error());
        send_json(res, 200, *answer);
    });
    server_.Get(kSite + "/backends", [this](const Request& req, Response& res) {
        if (!allow_backend(req, res, req.matches[1])) return;
        auto view = backend_positions(service_.store(), req.matches[1]);
        if (!view) return send_error(res, view.error());
        res.set_header("Cache-Control", "no-store");
        send_json(res, 200, *view);
    });
}

// Server-sent events: one event per receipt of the site, id = log index, so
// Last-Event-ID resumes exactly after the last one the client saw. The stream
// itself is written by EventStreams: this handler only checks and hands over.
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
    const std::string key = api_key_id(req.get_header_value("Authorization"));
    if (const auto refused = streams_.reserve(key, site)) {
        return send_error(res, make_error(refused->code, refused->message));
    }
    RequestRouter::hand_over(StreamHandover{site, last, key, req.get_param_value("notices") == "1"});
    res.status = 200;
}

// A notice event's data: the notice the service's checks use now (issue #15).
Result<EventStreams::NoticeEvent> HttpServer::Impl::notice_event(const std::string& site) {
    auto current = service_.current_notice(site);
    if (!current) return current.error();
    const StoredNotice& n = current->notice;
    return EventStreams::NoticeEvent{
        n.notice.version, "{\"hash\":\"" + n.content_hash + "\",\"last_material_version\":" +
                              std::to_string(current->last_material_version) + ",\"notice\":" + n.canonical_json +
                              ",\"version\":" + std::to_string(n.notice.version) + "}"};
}

// The log and the keys are public evidence: any page may read them (an
// auditor's verifier, a visitor's receipt page on the site), so no allowlist.
static void allow_any_origin(Response& res) { res.set_header("Access-Control-Allow-Origin", "*"); }

// The open routes have their own, larger limit: evidence is public, but a proof
// costs O(log^2 n) reads and must not be free to ask in a loop.
bool HttpServer::Impl::allow_open(const Request& req, Response& res) {
    allow_any_origin(res);
    return within_limit(open_limiter_, req, res);
}

void HttpServer::Impl::log_routes() {
    server_.Get("/v1/log/checkpoint", [this](const Request& req, Response& res) {
        if (!allow_open(req, res)) return;
        auto checkpoint = service_.latest_checkpoint();
        if (!checkpoint) return send_error(res, checkpoint.error());
        res.set_header("Cache-Control", "no-cache");
        res.set_content(checkpoint->note, "text/plain; charset=utf-8");
    });
    server_.Get("/v1/log/proofs/inclusion", [this](const Request& req, Response& res) {
        if (!allow_open(req, res)) return;
        auto leaf = int_param(req, "leaf");
        auto size = int_param(req, "size");
        if (!leaf || !size) return send_error(res, !leaf ? leaf.error() : size.error());
        auto proof = service_.inclusion_proof(*leaf, *size);
        if (!proof) return send_error(res, proof.error());
        send_json(res, 200, {{"leaf_index", *leaf}, {"tree_size", *size}, {"proof", hashes_json(*proof)}});
    });
    server_.Get("/v1/log/proofs/consistency", [this](const Request& req, Response& res) {
        if (!allow_open(req, res)) return;
        auto from = int_param(req, "from");
        auto to = int_param(req, "to");
        if (!from || !to) return send_error(res, !from ? from.error() : to.error());
        auto proof = service_.consistency_proof(*from, *to);
        if (!proof) return send_error(res, proof.error());
        send_json(res, 200, {{"from", *from}, {"to", *to}, {"proof", hashes_json(*proof)}});
    });
}

void HttpServer::Impl::open_routes() {
    server_.Get("/.well-known/jwks.json", [this](const Request& req, Response& res) {
        if (!allow_open(req, res)) return;
        res.set_header("Cache-Control", "max-age=300");
        send_json(res, 200, service_.jwks());
    });
    // Healthy means the store answers: a load balancer must stop sending
    // traffic to a replica whose file it cannot read.
    server_.Get("/healthz", [this](const Request&, Response& res) {
        auto count = service_.store().receipt_count();
        if (!count) return send_error(res, count.error());
        send_json(res, 200, {{"status", "ok"}, {"receipts", *count}});
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
    counter("consentd_checks_from_memory_total",
            "Single checks answered from memory on the connection loop's thread, without a worker.",
            metrics_.checks_at_once);
    counter("consentd_rate_limited_total", "Requests refused by a rate limit (banner and open routes).",
            metrics_.rate_limited);
    counter("consentd_event_streams_open", "Event streams currently open.", streams_.open(), "gauge");
    counter("consentd_http_refused_total",
            "Requests and connections refused by the HTTP edge (framing, deadlines, caps).", refused_total());
    counter("consentd_http_connections_open", "Request connections currently open.", caps_.open(), "gauge");
    return out;
}

HttpServer::HttpServer(ConsentService& service, ServerConfig config, RequestLog log)
    : impl_(std::make_unique<Impl>(service, std::move(config), log)) {}
HttpServer::~HttpServer() = default;
int HttpServer::bind() { return impl_->bind(); }
bool HttpServer::serve() { return impl_->serve(); }
void HttpServer::stop() { impl_->stop(); }
std::vector<std::string> HttpServer::answer_bytes(std::string_view bytes) { return impl_->answer_bytes(bytes); }

}  // namespace consent::server
