#include "http/request_router.hpp"

#include <set>

#include "http/error_mapping.hpp"

namespace consent::server {
namespace {

// The answer of the respond() call running on this thread, for hand_over()
// and for the route and status that the request log records.
thread_local RoutedAnswer* current_answer = nullptr;

bool is_known_method(const std::string& m) {
    static const std::set<std::string> known{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    return known.count(m) > 0;
}

// The group's text from its '(' at open to the matching ')', and how many
// capturing groups it holds (itself included), as std::regex numbers them.
std::size_t group_end(const std::string& p, std::size_t open, std::size_t& groups) {
    int depth = 0;
    bool in_class = false;
    for (std::size_t i = open; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            ++i;
        } else if (in_class) {
            in_class = c != ']';
        } else if (c == '[') {
            in_class = true;
        } else if (c == '(') {
            ++depth;
            if (i + 1 >= p.size() || p[i + 1] != '?') ++groups;
        } else if (c == ')' && --depth == 0) {
            return i;
        }
    }
    return p.size();
}

bool literal_alternatives(const std::string& content) {
    if (content.empty()) return false;
    for (const char c : content)
        if (!((c >= 'a' && c <= 'z') || c == '-' || c == '|')) return false;
    return true;
}

// "{site}" for a group after "/sites/": the segment before it, singular.
std::string group_name(const std::string& so_far) {
    std::string segment = so_far;
    while (!segment.empty() && segment.back() == '/') segment.pop_back();
    segment = segment.substr(segment.rfind('/') == std::string::npos ? 0 : segment.rfind('/') + 1);
    if (segment.size() > 1 && segment.back() == 's' && segment.front() != '{') segment.pop_back();
    else segment = "param";
    return "{" + segment + "}";
}

const std::string& known_method(const std::string& m) {
    static const std::string other = "OTHER";
    return is_known_method(m) ? m : other;
}

void set_error(httplib::Response& res, int status, const char* code, const char* message) {
    res.status = status;
    res.set_content(error_body(make_error(code, message)), "application/json");
}

}  // namespace

RequestRouter::RequestRouter() {
    httplib::Server::set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
        settle_method_errors(req, res);
        if (error_handler_) error_handler_(req, res);
    });
    // Every answer, routed or not, passes here just before it is written.
    httplib::Server::set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (current_answer) {
            res.set_header("X-Request-Id", current_answer->record.id);
            current_answer->record.method = known_method(req.method);
            current_answer->record.status = res.status;
        }
        if (post_routing_handler_) post_routing_handler_(req, res);
    });
}

RequestRouter& RequestRouter::set_post_routing_handler(Handler handler) {
    post_routing_handler_ = std::move(handler);
    return *this;
}

std::string RequestRouter::route_template(const std::string& pattern, const std::smatch& matches) {
    std::string out;
    std::size_t group = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) {
            out += pattern[++i];
        } else if (pattern[i] == '(') {
            const std::size_t first = group + 1;
            const std::size_t end = group_end(pattern, i, group);
            const std::string content = pattern.substr(i + 1, end - i - 1);
            out += literal_alternatives(content) && first < matches.size() ? matches[first].str() : group_name(out);
            i = end;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

// The handler, after noting its route's template for the request log. The
// template is worked out once per route; only a group of literal
// alternatives ("(notice|decisions)") takes the request's own match.
httplib::Server::Handler RequestRouter::noted(const std::string& pattern, Handler handler) const {
    const bool varies = pattern.find('|') != std::string::npos;
    std::string fixed = varies ? std::string() : route_template(pattern, std::smatch());
    return [pattern, varies, fixed = std::move(fixed), handler = std::move(handler)](const httplib::Request& req,
                                                                                     httplib::Response& res) {
        if (current_answer) current_answer->record.route = varies ? route_template(pattern, req.matches) : fixed;
        handler(req, res);
    };
}

void RequestRouter::remember(const std::string& method, const std::string& pattern) {
    routes_.emplace_back(std::regex(pattern), method);
}

RequestRouter& RequestRouter::Get(const std::string& pattern, Handler handler) {
    remember("GET", pattern);
    httplib::Server::Get(pattern, noted(pattern, std::move(handler)));
    return *this;
}

RequestRouter& RequestRouter::Post(const std::string& pattern, Handler handler) {
    remember("POST", pattern);
    httplib::Server::Post(pattern, noted(pattern, std::move(handler)));
    return *this;
}

RequestRouter& RequestRouter::Options(const std::string& pattern, Handler handler) {
    remember("OPTIONS", pattern);
    httplib::Server::Options(pattern, noted(pattern, std::move(handler)));
    return *this;
}

RequestRouter& RequestRouter::set_error_handler(Handler handler) {
    error_handler_ = std::move(handler);
    return *this;
}

// The methods some route offers for this path, "GET, HEAD, OPTIONS" style.
std::string RequestRouter::allowed_methods(const std::string& path) const {
    std::set<std::string> methods;
    for (const auto& [pattern, method] : routes_) {
        if (!std::regex_match(path, pattern)) continue;
        methods.insert(method);
        if (method == "GET") methods.insert("HEAD");  // httplib answers HEAD with the GET route
    }
    std::string out;
    for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
    return out;
}

// httplib answers an unrouted method with 404 and an unknown one with 400:
// RFC 9110 §15.5.6 asks 405 with Allow for a known resource, §15.6.2 501 for an
// unknown method.
void RequestRouter::settle_method_errors(const httplib::Request& req, httplib::Response& res) const {
    if (!res.body.empty()) return;  // a handler's own answer
    if (!is_known_method(req.method)) {
        set_error(res, 501, "request.method_not_implemented", "this method is not implemented");
        return;
    }
    if (res.status != 404) return;
    const std::string allow = allowed_methods(req.path);
    if (allow.empty()) return;
    res.set_header("Allow", allow);
    set_error(res, 405, "request.method_not_allowed", "this resource does not allow this method");
}

RoutedAnswer RequestRouter::respond(std::string_view request, const Peer& peer, bool close) {
    RoutedAnswer answer;
    answer.record.id = next_request_id();
    answer.record.route = "-";
    MemoryStream stream(request, peer);
    bool client_closes = false;
    current_answer = &answer;
    const bool written = process_request(stream, close, client_closes, [](httplib::Request& req) {
        // The edge already answered "100 Continue" while the body arrived.
        req.headers.erase("Expect");
    });
    current_answer = nullptr;
    answer.close = close || client_closes || !written;
    if (!answer.handover) answer.bytes = std::move(stream.output());
    answer.record.bytes = answer.bytes.size();
    return answer;
}

void RequestRouter::hand_over(StreamHandover handover) {
    if (current_answer) current_answer->handover = std::move(handover);
}

}  // namespace consent::server
