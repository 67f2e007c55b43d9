#include "http/request_router.hpp"

#include <set>

#include "http/error_mapping.hpp"

namespace consent::server {
namespace {

// The answer of the respond() call running on this thread, for hand_over().
thread_local RoutedAnswer* current_answer = nullptr;

bool is_known_method(const std::string& m) {
    static const std::set<std::string> known{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    return known.count(m) > 0;
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
}

void RequestRouter::remember(const std::string& method, const std::string& pattern) {
    routes_.emplace_back(std::regex(pattern), method);
}

RequestRouter& RequestRouter::Get(const std::string& pattern, Handler handler) {
    remember("GET", pattern);
    httplib::Server::Get(pattern, std::move(handler));
    return *this;
}

RequestRouter& RequestRouter::Post(const std::string& pattern, Handler handler) {
    remember("POST", pattern);
    httplib::Server::Post(pattern, std::move(handler));
    return *this;
}

RequestRouter& RequestRouter::Options(const std::string& pattern, Handler handler) {
    remember("OPTIONS", pattern);
    httplib::Server::Options(pattern, std::move(handler));
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
    return answer;
}

void RequestRouter::hand_over(StreamHandover handover) {
    if (current_answer) current_answer->handover = std::move(handover);
}

}  // namespace consent::server
