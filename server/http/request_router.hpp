// httplib's routing, run on one framed request in memory (process_request is
// protected in 0.11, so a subclass calls it with a MemoryStream). Routes are
// registered as on httplib::Server; the router also remembers each route's
// method so that a known path with another method answers 405 with Allow
// (RFC 9110 §15.5.6) instead of 404. Every answer carries an X-Request-Id,
// and the router notes which route answered as its template, made from the
// pattern: each group after "sites", "subjects", "purposes" becomes {site},
// {subject}, {purpose}; a group of literal alternatives keeps the one matched.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "http/memory_stream.hpp"
#include "http/request_log.hpp"

namespace consent::server {

// An event stream the answer hands the connection over to (see event_streams.hpp).
struct StreamHandover {
    std::string site_id;
    std::int64_t last_index = -1;  // the last log index the client has (Last-Event-ID)
    std::string key_id;            // the API key, for the per-key stream bound
    bool notices = false;          // ?notices=1: notice events too (event_streams.hpp)
};

struct RoutedAnswer {
    std::string bytes;                       // the whole HTTP answer (empty with a handover)
    bool close = false;                      // close the connection after it
    std::optional<StreamHandover> handover;  // the connection becomes an event stream
    RequestRecord record;                    // for the request log: id, method, route, status, bytes
};

class RequestRouter : public httplib::Server {
public:
    RequestRouter();

    // As httplib::Server's, and remembered for 405 answers.
    RequestRouter& Get(const std::string& pattern, Handler handler);
    RequestRouter& Post(const std::string& pattern, Handler handler);
    RequestRouter& Options(const std::string& pattern, Handler handler);
    // Errors httplib produces itself; 405 and 501 are settled before this handler runs.
    RequestRouter& set_error_handler(Handler handler);
    // Runs before the answer is written, after the router's own (X-Request-Id).
    RequestRouter& set_post_routing_handler(Handler handler);

    // Parses and routes one complete request (head and body, as framed) and
    // returns its answer. close: the connection closes after this answer.
    RoutedAnswer respond(std::string_view request, const Peer& peer, bool close);

    // Called from a handler on the worker running respond(): the connection
    // becomes an event stream instead of getting the handler's answer.
    static void hand_over(StreamHandover handover);

    // The template a pattern is logged as, given the groups a request matched.
    static std::string route_template(const std::string& pattern, const std::smatch& matches);

private:
    Handler noted(const std::string& pattern, Handler handler) const;
    void remember(const std::string& method, const std::string& pattern);
    std::string allowed_methods(const std::string& path) const;
    void settle_method_errors(const httplib::Request& req, httplib::Response& res) const;

    std::vector<std::pair<std::regex, std::string>> routes_;  // pattern, method
    Handler error_handler_;
    Handler post_routing_handler_;
};

}  // namespace consent::server
