#include "consent_client/client.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>
#include <thread>

namespace consent::client {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string quote(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The server's {"error":{"code","message"}}; a body without one still says its status.
Error error_of(int status, const std::string& body) {
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
        const json& e = parsed["error"];
        return make_error(e.value("code", "client.bad_answer"), e.value("message", ""));
    }
    return make_error("client.bad_answer", "HTTP " + std::to_string(status) + " without an error body");
}

Error transport_error(httplib::Error e, const std::string& what) {
    const bool timeout = e == httplib::Error::Read || e == httplib::Error::Write;
    return make_error(timeout ? "client.timeout" : "client.unreachable", what + ": " + httplib::to_string(e));
}

bool retryable_status(int status) { return status == 429 || status == 503; }
bool is_transport(const Error& e) { return e.code == "client.unreachable" || e.code == "client.timeout"; }

milliseconds retry_after_of(const httplib::Response& res) {
    const std::string text = res.get_header_value("Retry-After");
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seconds < 0) return milliseconds(0);
    return milliseconds(seconds * 1000);
}

// Server-sent events (WHATWG HTML §9.2), fed as bytes arrive.
class EventParser {
public:
    // Calls on_event for each complete event; false from it stops.
    template <class OnEvent>
    bool feed(const char* data, std::size_t size, OnEvent&& on_event) {
        buffer_.append(data, size);
        for (std::size_t end; (end = buffer_.find('\n')) != std::string::npos;) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) {
                if (!data_.empty() && !dispatch(on_event)) return false;
                continue;
            }
            if (line[0] == ':') continue;  // a heartbeat
            const auto colon = line.find(':');
            const std::string field = line.substr(0, colon);
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ') value.erase(0, 1);
            if (field == "event") type_ = value;
            else if (field == "data") data_ += (data_.empty() ? "" : "\n") + value;
            else if (field == "id") id_ = value;
        }
        return true;
    }

private:
    template <class OnEvent>
    bool dispatch(OnEvent&& on_event) {
        Event event;
        event.type = type_.empty() ? "message" : type_;
        std::int64_t id = 0;
        const auto [end, ec] = std::from_chars(id_.data(), id_.data() + id_.size(), id);
        if (!id_.empty() && ec == std::errc() && end == id_.data() + id_.size()) event.id = id;
        event.data = json::parse(data_, nullptr, false);
        type_.clear();
        data_.clear();
        id_.clear();
        return on_event(event);
    }

    std::string buffer_, type_, data_, id_;
};

}  // namespace

struct Client::Http {
    explicit Http(const std::string& base_url) : client(base_url) {}
    httplib::Client client;
};

Client::Client(const std::string& base_url, std::string site, std::string api_key, Options options)
    : http_(std::make_unique<Http>(base_url)),
      stream_(std::make_unique<Http>(base_url)),
      site_(std::move(site)),
      auth_("Bearer " + api_key),
      options_(options) {
    const auto seconds = [](milliseconds m) { return std::make_pair(m.count() / 1000, (m.count() % 1000) * 1000); };
    const auto [s, us] = seconds(options_.timeout);
    for (Http* h : {http_.get(), stream_.get()}) {
        h->client.set_connection_timeout(s, us);
        h->client.set_read_timeout(s, us);
        h->client.set_write_timeout(s, us);
    }
    http_->client.set_keep_alive(true);
}

Client::~Client() = default;

std::string Client::path(const std::string& rest) const { return "/v1/sites/" + quote(site_) + rest; }

Result<json> Client::once(const std::string& method, const std::string& p, const json* body,
                          milliseconds& retry_after) {
    const httplib::Headers headers{{"Authorization", auth_}};
    httplib::Result r = method == "GET"
                            ? http_->client.Get(p, headers)
                            : http_->client.Post(p, headers, body ? body->dump() : std::string(), "application/json");
    if (!r) return transport_error(r.error(), method + " " + p);
    retry_after = retry_after_of(*r);
    if (r->status >= 400) {
        Error e = error_of(r->status, r->body);
        if (retryable_status(r->status)) e.path = "retryable";  // read by request(), cleared there
        return e;
    }
    auto parsed = json::parse(r->body, nullptr, false);
    if (parsed.is_discarded()) return make_error("client.bad_answer", method + " " + p + ": not JSON");
    return parsed;
}

Result<json> Client::request(const std::string& method, const std::string& rest, const json* body) {
    static thread_local std::mt19937 jitter{std::random_device{}()};
    for (int attempt = 0;; ++attempt) {
        milliseconds retry_after{0};
        auto answer = once(method, path(rest), body, retry_after);
        if (answer) return answer;
        Error e = answer.error();
        const bool retryable = e.path == "retryable" || is_transport(e);
        e.path.clear();
        if (!retryable || attempt >= options_.retries) return e;
        const auto base = std::min(options_.max_backoff.count(), options_.backoff.count() << std::min(attempt, 20));
        const auto delay = milliseconds(base / 2 + static_cast<long long>(jitter() % (base / 2 + 1)));
        std::this_thread::sleep_for(std::max(delay, std::min(retry_after, options_.max_backoff)));
    }
}

// A member that may be absent or null (a verdict resting on no receipt).
static std::string text_member(const json& v, const char* name) {
    const auto found = v.find(name);
    return found != v.end() && found->is_string() ? found->get<std::string>() : std::string();
}

static Result<CheckResult> check_result(const json& v) {
    if (!v.is_object() || !v.contains("allowed") || !v["allowed"].is_boolean())
        return make_error("client.bad_answer", "a verdict without allowed");
    return CheckResult{v["allowed"].get<bool>(), text_member(v, "reason"), text_member(v, "receipt_id")};
}

Result<CheckResult> Client::check(const std::string& subject, const std::string& purpose) {
    auto answer = request("GET", "/subjects/" + quote(subject) + "/purposes/" + quote(purpose), nullptr);
    if (!answer) return answer.error();
    return check_result(*answer);
}

Result<std::vector<CheckResult>> Client::check_many(const std::vector<std::pair<std::string, std::string>>& pairs) {
    json body = {{"checks", json::array()}};
    for (const auto& [subject, purpose] : pairs) body["checks"].push_back({{"subject", subject}, {"purpose", purpose}});
    auto answer = request("POST", "/checks", &body);
    if (!answer) return answer.error();
    std::vector<CheckResult> out;
    for (const auto& v : answer->value("results", json::array())) {
        auto one = check_result(v);
        if (!one) return one.error();
        out.push_back(*one);
    }
    if (out.size() != pairs.size()) return make_error("client.bad_answer", "not one verdict per check");
    return out;
}

Result<json> Client::withdraw(const std::string& subject, const std::vector<std::string>& purposes,
                              const std::string& decision_id) {
    static thread_local std::mt19937_64 ids{std::random_device{}()};
    json body = {{"decision_id", decision_id.empty() ? "srv_cpp_" + std::to_string(ids()) : decision_id}};
    if (!purposes.empty()) body["purposes"] = purposes;
    return request("POST", "/subjects/" + quote(subject) + "/withdrawals", &body);
}

Result<json> Client::export_subject(const std::string& subject) {
    return request("GET", "/subjects/" + quote(subject) + "/export", nullptr);
}

Result<json> Client::publish_notice(const json& notice) { return request("POST", "/notices", &notice); }

Result<json> Client::snapshot_page(std::optional<std::int64_t> at, const std::string& after, std::int64_t limit) {
    std::string query = "/snapshot?limit=" + std::to_string(limit);
    if (at) query += "&at=" + std::to_string(*at) + "&after=" + quote(after);
    return request("GET", query, nullptr);
}

Result<json> Client::acknowledge(const std::string& backend, const std::vector<std::string>& receipt_ids) {
    const json body = {{"backend", backend}, {"receipts", receipt_ids}};
    return request("POST", "/acknowledgements", &body);
}

Result<json> Client::backends() { return request("GET", "/backends", nullptr); }

Status Client::events(std::optional<std::int64_t> last_event_id, bool notices, milliseconds idle_timeout,
                      const std::function<bool(const Event&)>& on_event, const std::function<bool()>& on_beat) {
    httplib::Headers headers{{"Authorization", auth_}, {"Accept", "text/event-stream"}};
    if (last_event_id) headers.emplace("Last-Event-ID", std::to_string(*last_event_id));
    stream_->client.set_read_timeout(idle_timeout.count() / 1000, (idle_timeout.count() % 1000) * 1000);
    int status = 0;
    std::string error_body;
    bool ended_by_us = false;
    EventParser parser;
    auto r = stream_->client.Get(
        path(notices ? "/events?notices=1" : "/events"), headers,
        [&](const httplib::Response& res) {
            status = res.status;
            return true;
        },
        [&](const char* data, std::size_t size) {
            if (status != 200) {
                error_body.append(data, size);
                return true;
            }
            if (on_beat && !on_beat()) return !(ended_by_us = true);
            if (!parser.feed(data, size, on_event)) return !(ended_by_us = true);
            return true;
        });
    if (ended_by_us) return Unit{};
    if (status != 0 && status != 200) return error_of(status, error_body.empty() && r ? r->body : error_body);
    if (!r) {
        if (r.error() == httplib::Error::Canceled) return Unit{};
        return transport_error(r.error(), "event stream");
    }
    return make_error("client.unreachable", "event stream: consentd ended it");
}

void Client::stop_stream() { stream_->client.stop(); }

}  // namespace consent::client
