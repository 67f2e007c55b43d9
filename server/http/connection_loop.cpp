#include "http/connection_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "http/refusal_response.hpp"

namespace consent::server {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kAcceptPause = std::chrono::milliseconds(100);  // after EMFILE: let connections close first

Peer address_of(const sockaddr_storage& addr) {
    Peer p;
    char text[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
        ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        p.remote_port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
        ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
        p.remote_port = ntohs(a.sin6_port);
    }
    p.remote_ip = text;
    return p;
}

// A refusal written at accept time, best effort, before the socket is closed.
void refuse_at_accept(int fd, const Refusal& refusal) {
    const std::string bytes = refusal_response(refusal);
    [[maybe_unused]] const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
}

}  // namespace

std::string ConnectionCaps::admit(const std::string& client) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_ >= max_) return "the server is at its connection limit";
    const auto known = per_client_.find(client);
    if (known != per_client_.end() && known->second >= max_per_client_) return "too many connections from this client";
    ++per_client_[client];
    ++open_;
    return "";
}

void ConnectionCaps::leave(const std::string& client) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto known = per_client_.find(client);
    if (known == per_client_.end()) return;
    if (--known->second == 0) per_client_.erase(known);
    --open_;
}

std::size_t ConnectionCaps::open() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
}

ConnectionLoop::ConnectionLoop(ConnectionLimits limits, WorkerPool& workers, Respond respond, EventStreams& streams,
                               AnswerAtOnce at_once, ConnectionCaps* caps)
    : limits_(limits),
      workers_(workers),
      respond_(std::move(respond)),
      streams_(streams),
      at_once_(std::move(at_once)),
      own_caps_(limits.max_connections, limits.max_connections_per_client),
      caps_(caps != nullptr ? *caps : own_caps_) {}

ConnectionLoop::~ConnectionLoop() {
    while (!connections_.empty()) close_connection(connections_.begin()->first);
    if (listen_ >= 0 && owns_listener_) ::close(listen_);
}

int ConnectionLoop::bind(const std::string& host, int port, int backlog) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return -1;
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int yes = 1;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    const bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, backlog) == 0;
    ::freeaddrinfo(found);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (!ok || ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    listen_ = fd;
    owns_listener_ = true;
    const Peer self = address_of(bound);
    local_.local_ip = self.remote_ip;
    local_.local_port = self.remote_port;
    watch_listener();
    return local_.local_port;
}

void ConnectionLoop::share_listener(ConnectionLoop& first) {
    listen_ = first.listen_;
    owns_listener_ = false;
    shared_ = true;
    first.shared_ = true;
    local_ = first.local_;
    if (listen_ >= 0) watch_listener();
}

// EPOLLEXCLUSIVE: with several loops on one listening socket, an arrival
// wakes one of them, not all (the others' accept would find nothing).
void ConnectionLoop::watch_listener() {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_;
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_ADD, listen_, &ev);
}

void ConnectionLoop::stop() {
    stopping_ = true;
    poll_.wake();
}

bool ConnectionLoop::run() {
    if (listen_ < 0 || !poll_.valid()) return false;
    std::vector<epoll_event> events(256);
    while (!stopping_) {
        const int n = ::epoll_wait(poll_.fd(), events.data(), static_cast<int>(events.size()), next_timeout_ms());
        if (n < 0 && errno != EINTR) return false;
        handle(events.data(), n);
        expire_deadlines();
    }
    drain();
    return true;
}

void ConnectionLoop::handle(const epoll_event* events, int n) {
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_) {
            accept_all();
        } else if (poll_.is_wake(fd)) {
            poll_.drain();
            take_answers();
        } else {
            on_socket(fd, events[i].events);
        }
    }
}

// A graceful stop (SIGTERM): every request a client has sent whole gets its
// answer; each connection closes after its answer (finish_answer sees
// stopping_), and lingering closes and deadlines keep running as usual. What
// is still open at drain_timeout is closed by the destructor.
void ConnectionLoop::drain() {
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, listen_, nullptr);
    // Connections not yet accepted are refused by the kernel. The owner
    // stops the socket listening but keeps its descriptor until every loop of
    // the server is done (closed, its number could be another socket's).
    if (owns_listener_) ::shutdown(listen_, SHUT_RDWR);
    accept_paused_until_ = {};
    const auto until = Clock::now() + limits_.drain_timeout;
    std::vector<epoll_event> events(256);
    for (;;) {
        close_idle();
        const auto now = Clock::now();
        if (connections_.empty() || now >= until) return;
        const int left =
            static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count()) + 1;
        const int next = next_timeout_ms();
        const int n = ::epoll_wait(poll_.fd(), events.data(), static_cast<int>(events.size()),
                                   next < 0 ? left : std::min(next, left));
        if (n < 0 && errno != EINTR) return;
        handle(events.data(), n);
        expire_deadlines();
    }
}

// Between requests, with nothing of a next one received: nothing to answer.
// Bytes already at the socket are read first: they start a request under way.
void ConnectionLoop::close_idle() {
    std::vector<int> idle;
    for (const auto& [fd, c] : connections_)
        if (c.state == State::idle && c.in.empty()) idle.push_back(fd);
    for (const int fd : idle) {
        Connection& c = connections_.at(fd);
        read_some(c);
        if (c.in.empty()) close_connection(fd);
        else advance(c);
    }
}

// Alone, a loop takes every waiting connection; beside others it takes one
// per wake-up, so that a burst of connections (a backend's pool opening)
// spreads over the loops instead of landing on the first one woken.
void ConnectionLoop::accept_all() {
    for (bool more = true; more; more = !shared_) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        const int fd = ::accept4(listen_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: stop polling the listener for a moment, or epoll spins on it.
                accept_paused_until_ = Clock::now() + kAcceptPause;
                ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, listen_, nullptr);
            }
            return;
        }
        Peer peer = address_of(addr);
        peer.local_ip = local_.local_ip;
        peer.local_port = local_.local_port;
        const std::string refusal = caps_.admit(peer.remote_ip);
        if (!refusal.empty()) {
            ++refused_;
            refuse_at_accept(fd, {503, "request.too_many_connections", refusal});
        } else {
            Connection& c = connections_[fd];
            c.fd = fd;
            c.peer = std::move(peer);
            admit(fd);
        }
    }
}

void ConnectionLoop::admit(int fd) {
    Connection& c = connections_.at(fd);
    const int yes = 1;
    // TOOLCHAIN.md: without TCP_NODELAY Nagle meets delayed ACKs (40 ms per request).
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    ++open_;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_ADD, fd, &ev);
    c.interest = ev.events;
    // The first request's deadline runs from the accept: a silent client is closed at it.
    set_deadline(c, Clock::now() + limits_.request_deadline);
}

void ConnectionLoop::on_socket(int fd, std::uint32_t events) {
    const auto found = connections_.find(fd);
    if (found == connections_.end()) return;
    Connection& c = found->second;
    if (events & (EPOLLERR | EPOLLHUP)) {
        if (c.state != State::busy) return close_connection(fd);
        c.dead = true;  // closed when the worker's answer comes back
        ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, fd, nullptr);
        c.interest = 0;
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP)) read_some(c);
    if (connections_.count(fd) && (events & EPOLLOUT)) write_some(c);
    if (connections_.count(fd)) advance(c);
}

void ConnectionLoop::read_some(Connection& c) {
    char buffer[kReadChunk];
    const auto n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
        if (!c.discard_input && c.state != State::lingering) c.in.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
        c.peer_eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
        c.peer_eof = true;
        c.dead = true;
    }
}

void ConnectionLoop::write_some(Connection& c) {
    while (c.sent < c.out.size()) {
        const auto n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        } else {
            c.dead = true;
            return;
        }
    }
}

void ConnectionLoop::advance(Connection& c) {
    const int fd = c.fd;  // c is gone once the connection closes
    if (c.dead && c.state != State::busy) return close_connection(fd);
    switch (c.state) {
        case State::idle:
        case State::reading: advance_reading(c); break;
        case State::busy: break;
        case State::writing:
            if (c.sent == c.out.size()) finish_answer(c);
            break;
        case State::lingering:
            if (c.peer_eof) return close_connection(fd);
            break;
    }
    const auto still = connections_.find(fd);
    if (still != connections_.end()) update_interest(still->second);
}

void ConnectionLoop::advance_reading(Connection& c) {
    if (c.in.empty()) {
        if (c.peer_eof) close_connection(c.fd);
        return;
    }
    if (c.state == State::idle) {
        c.state = State::reading;
        set_deadline(c, Clock::now() + limits_.request_deadline);  // the whole head and body, from now
    }
    const FrameResult framed = frame_request(c.in, limits_.framing);
    if (framed.refusal) return refuse(c, *framed.refusal);
    if (framed.request) return dispatch(c, *framed.request);
    if (c.peer_eof) return close_connection(c.fd);  // the client left mid-request
    if (framed.head_complete && framed.head.expect_continue && !c.continue_sent) {
        // RFC 9110 §10.1.1: the client waits for this before sending the body.
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        [[maybe_unused]] const auto n = ::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
        c.continue_sent = true;
    }
}

void ConnectionLoop::dispatch(Connection& c, const FramedRequest& request) {
    const bool close = request.close || c.served + 1 >= limits_.keep_alive_max_requests || stopping_;
    if (at_once_) {
        auto answer = at_once_(std::string_view(c.in.data(), request.total()), c.peer, close);
        if (answer) {
            c.in.erase(0, request.total());
            c.state = State::busy;
            c.continue_sent = false;
            clear_deadline(c);
            return on_answer(c.fd, std::move(*answer));
        }
    }
    auto bytes = std::make_shared<std::string>(c.in.substr(0, request.total()));
    c.in.erase(0, request.total());
    c.state = State::busy;
    c.continue_sent = false;
    clear_deadline(c);
    const int fd = c.fd;
    workers_.submit([this, fd, bytes, peer = c.peer, close] {
        RoutedAnswer answer = respond_(*bytes, peer, close);
        {
            std::lock_guard<std::mutex> lock(answers_mutex_);
            answers_.emplace_back(fd, std::move(answer));
        }
        poll_.wake();
    });
}

void ConnectionLoop::refuse(Connection& c, const Refusal& refusal) {
    ++refused_;
    c.out = refusal_response(refusal);
    c.sent = 0;
    c.close_after = true;
    c.discard_input = true;
    c.in.clear();
    c.state = State::writing;
    set_deadline(c, Clock::now() + limits_.write_timeout);
    write_some(c);
    if (c.sent == c.out.size()) finish_answer(c);
}

// The answer is out: close (after a lingering drain), or wait for the next request.
void ConnectionLoop::finish_answer(Connection& c) {
    c.out.clear();
    c.sent = 0;
    ++c.served;
    if (c.close_after || stopping_) {
        ::shutdown(c.fd, SHUT_WR);
        c.state = State::lingering;
        c.in.clear();
        set_deadline(c, Clock::now() + limits_.linger);
        if (c.peer_eof) close_connection(c.fd);
        return;
    }
    c.state = State::idle;
    set_deadline(c, Clock::now() + limits_.idle_timeout);
    if (!c.in.empty()) advance_reading(c);  // a pipelined request is already here
}

void ConnectionLoop::take_answers() {
    std::vector<std::pair<int, RoutedAnswer>> answers;
    {
        std::lock_guard<std::mutex> lock(answers_mutex_);
        answers.swap(answers_);
    }
    for (auto& [fd, answer] : answers) on_answer(fd, std::move(answer));
}

void ConnectionLoop::on_answer(int fd, RoutedAnswer answer) {
    const auto found = connections_.find(fd);
    if (found == connections_.end()) {  // closed at shutdown while the worker ran
        if (answer.handover) streams_.release(answer.handover->key_id, answer.handover->site_id);
        return;
    }
    Connection& c = found->second;
    if (answer.handover) {
        if (c.dead || stopping_) {
            streams_.release(answer.handover->key_id, answer.handover->site_id);
            return close_connection(fd);
        }
        forget(c);  // the socket now belongs to the event streams
        return streams_.adopt(fd, std::move(*answer.handover));
    }
    c.out = std::move(answer.bytes);
    c.sent = 0;
    c.close_after = answer.close;
    c.state = State::writing;
    set_deadline(c, Clock::now() + limits_.write_timeout);
    if (!c.dead) write_some(c);
    advance(c);
}

void ConnectionLoop::set_deadline(Connection& c, Clock::time_point when) {
    clear_deadline(c);
    c.deadline = when;
    deadlines_.emplace(when, c.fd);
}

void ConnectionLoop::clear_deadline(Connection& c) {
    deadlines_.erase({c.deadline, c.fd});
    c.deadline = {};
}

// A request head or body not in by its deadline gets 408 (RFC 9110 §15.5.9);
// an idle keep-alive connection, an answer not taken in time, or a lingering
// close past its drain time is just closed.
void ConnectionLoop::expire_deadlines() {
    const auto now = Clock::now();
    if (accept_paused_until_ != Clock::time_point{} && now >= accept_paused_until_) {
        accept_paused_until_ = {};
        watch_listener();
    }
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const int fd = deadlines_.begin()->second;
        Connection& c = connections_.at(fd);
        clear_deadline(c);
        if (c.state == State::reading) {
            refuse(c, {408, "request.timeout", "the request did not arrive in time"});
            if (connections_.count(fd)) update_interest(c);
        } else {
            close_connection(fd);
        }
    }
}

int ConnectionLoop::next_timeout_ms() const {
    auto next = deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
    if (accept_paused_until_ != Clock::time_point{}) next = std::min(next, accept_paused_until_);
    if (next == Clock::time_point::max()) return -1;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(wait + 1, 0, 60000));
}

// What the loop waits for: input while it may still be used (pipelined input
// is bounded by one request's size), output while an answer is pending.
void ConnectionLoop::update_interest(Connection& c) {
    const std::size_t cap = limits_.framing.max_head_bytes + limits_.framing.max_body_bytes;
    std::uint32_t want = 0;
    const bool input = !c.dead && !c.peer_eof &&
                       (c.state == State::idle || c.state == State::reading || c.state == State::lingering ||
                        c.discard_input || c.in.size() < cap);
    if (input) want |= EPOLLIN | EPOLLRDHUP;
    if (!c.dead && c.state == State::writing && c.sent < c.out.size()) want |= EPOLLOUT;
    if (want == c.interest) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = c.fd;
    // With nothing wanted the socket leaves the set: a hang-up would otherwise be reported forever.
    if (want == 0) ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, c.fd, nullptr);
    else ::epoll_ctl(poll_.fd(), c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = want;
}

void ConnectionLoop::close_connection(int fd) {
    const auto found = connections_.find(fd);
    if (found == connections_.end()) return;
    if (found->second.state == State::busy) {
        // A worker holds the request: close when its answer comes back, so the fd is not reused meanwhile.
        found->second.dead = true;
        if (found->second.interest) ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, fd, nullptr);
        found->second.interest = 0;
        if (!stopping_) return;
    }
    forget(found->second);
    ::close(fd);
}

// Drops the loop's record of a connection (its socket is closed or handed over).
void ConnectionLoop::forget(Connection& c) {
    const int fd = c.fd;
    clear_deadline(c);
    if (c.interest) ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, fd, nullptr);
    caps_.leave(c.peer.remote_ip);
    --open_;
    connections_.erase(fd);
}

}  // namespace consent::server
