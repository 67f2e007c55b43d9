// consentd owns its sockets (issue #10: httplib 0.11 holds one blocking worker
// per connection, so 32 silent clients stopped the server). One thread runs an
// epoll loop over non-blocking sockets: it accepts under a global and a
// per-client-address cap, reads each connection's bytes into its buffer,
// frames requests (request_framer.hpp) under a deadline for the whole head and
// body that further bytes do not extend, hands only complete requests to the
// worker pool, and writes the answers in order (pipelining) under a write
// deadline. An answer that opens an event stream hands the socket over to
// EventStreams. Refusals close the connection after a short lingering drain
// so that the client reads the answer instead of a reset (RFC 9112 §9.6).
// A request the answer of which is in memory (a consent check: see
// storage/memory_only.hpp) may be answered on the loop's own thread, without
// the two thread hand-offs a worker costs (issue #11).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/epoll.h>

#include "http/event_streams.hpp"
#include "http/request_framer.hpp"
#include "http/request_router.hpp"
#include "http/wakeable_poll.hpp"
#include "http/worker_pool.hpp"

namespace consent::server {

struct ConnectionLimits {
    FramingLimits framing;
    std::size_t max_connections = 1000;                 // all open request connections
    std::size_t max_connections_per_client = 128;       // per client address
    std::chrono::milliseconds request_deadline{10000};  // the whole head and body, from its first byte
    std::chrono::milliseconds idle_timeout{5000};       // keep-alive: between requests
    std::chrono::milliseconds write_timeout{10000};     // the whole answer
    std::chrono::milliseconds linger{2000};             // draining input after a refusal, before the close
    std::size_t keep_alive_max_requests = 1000;
    std::chrono::milliseconds drain_timeout{10000};  // after stop(): for the requests already received
};

// The connection caps of a whole server, shared by its loops (one per core):
// a client's connections count together whichever loop accepted them.
class ConnectionCaps {
public:
    ConnectionCaps(std::size_t max_connections, std::size_t max_per_client)
        : max_(max_connections), max_per_client_(max_per_client) {}
    ConnectionCaps(const ConnectionCaps&) = delete;
    ConnectionCaps& operator=(const ConnectionCaps&) = delete;

    // Counts the connection in, or names why not ("" = admitted).
    std::string admit(const std::string& client);
    void leave(const std::string& client);
    std::size_t open() const;

private:
    const std::size_t max_;
    const std::size_t max_per_client_;
    mutable std::mutex mutex_;
    std::size_t open_ = 0;
    std::map<std::string, std::size_t> per_client_;
};

class ConnectionLoop {
public:
    using Respond = std::function<RoutedAnswer(std::string_view request, const Peer& peer, bool close)>;
    // Called on the loop's thread for every complete request: an answer made
    // without waiting on anything, or none (the request goes to a worker).
    using AnswerAtOnce =
        std::function<std::optional<RoutedAnswer>(std::string_view request, const Peer& peer, bool close)>;

    ConnectionLoop(ConnectionLimits limits, WorkerPool& workers, Respond respond, EventStreams& streams,
                   AnswerAtOnce at_once = nullptr, ConnectionCaps* caps = nullptr);
    ConnectionLoop(const ConnectionLoop&) = delete;
    ConnectionLoop& operator=(const ConnectionLoop&) = delete;
    ~ConnectionLoop();

    // Binds and listens (port 0 picks a free one); returns the port, or -1.
    int bind(const std::string& host, int port, int backlog);
    // Another loop of the same server accepts from first's listening socket
    // too (EPOLLEXCLUSIVE: one loop is woken per arrival); first owns it.
    void share_listener(ConnectionLoop& first);  // before either runs
    // Serves until stop(), then drains: the listening socket is closed (new
    // connections are refused), idle connections are closed, and requests
    // already received, or arriving whole on open connections, are answered
    // (with Connection: close) until none is left or drain_timeout passes.
    // False if the loop could not run.
    bool run();
    // From any thread.
    void stop();
    std::size_t open_connections() const { return open_; }  // this loop's
    // Requests and connections the edge refused itself (framing, deadline, caps).
    std::uint64_t refused() const { return refused_; }

private:
    using Clock = std::chrono::steady_clock;
    enum class State { idle, reading, busy, writing, lingering };
    struct Connection {
        int fd = -1;
        Peer peer;
        State state = State::idle;
        std::string in;
        std::string out;
        std::size_t sent = 0;
        Clock::time_point deadline;
        bool close_after = false;
        bool discard_input = false;  // after a refusal
        bool peer_eof = false;       // the client shut its sending side
        bool dead = false;           // the socket failed while a worker held the request
        bool continue_sent = false;
        std::size_t served = 0;
        std::uint32_t interest = 0;
    };

    void handle(const epoll_event* events, int n);
    void drain();
    void close_idle();
    void watch_listener();
    void accept_all();
    void admit(int fd);
    void on_socket(int fd, std::uint32_t events);
    void read_some(Connection& c);
    void write_some(Connection& c);
    void advance(Connection& c);
    void advance_reading(Connection& c);
    void dispatch(Connection& c, const FramedRequest& request);
    void refuse(Connection& c, const Refusal& refusal);
    void finish_answer(Connection& c);
    void take_answers();
    void on_answer(int fd, RoutedAnswer answer);
    void set_deadline(Connection& c, Clock::time_point when);
    void clear_deadline(Connection& c);
    void expire_deadlines();
    void update_interest(Connection& c);
    void close_connection(int fd);
    void forget(Connection& c);
    int next_timeout_ms() const;

    ConnectionLimits limits_;
    WorkerPool& workers_;
    Respond respond_;
    EventStreams& streams_;
    AnswerAtOnce at_once_;
    int listen_ = -1;
    bool owns_listener_ = false;  // closed by its owner only, once every loop is done with it
    bool shared_ = false;         // other loops accept from it too
    ConnectionCaps own_caps_;     // when none is shared
    ConnectionCaps& caps_;
    WakeablePoll poll_;  // woken for: stop, and answers from the workers
    Peer local_;
    std::atomic<bool> stopping_{false};
    Clock::time_point accept_paused_until_{};

    std::unordered_map<int, Connection> connections_;
    std::set<std::pair<Clock::time_point, int>> deadlines_;
    std::atomic<std::size_t> open_{0};
    std::atomic<std::uint64_t> refused_{0};

    std::mutex answers_mutex_;
    std::vector<std::pair<int, RoutedAnswer>> answers_;
};

}  // namespace consent::server
