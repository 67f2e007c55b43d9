#include "http/event_streams.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"

namespace consent::server {
namespace {

constexpr std::size_t kReadBatch = 256;  // receipts per store read
// A stream whose read failed is tried again this soon, not at its next heartbeat.
constexpr std::chrono::milliseconds kBehindRetry{500};

// RFC 9112 §7.1: one chunk.
void append_chunk(std::string& out, const std::string& data) {
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out += size;
    out += data;
    out += "\r\n";
}

// The decision a receipt records, read back from its signed payload by the core.
nlohmann::json recorded_decision(const StoredReceipt& r) {
    auto payload = parse_json_strict(r.payload);
    if (!payload) return nullptr;
    auto contents = read_receipt_payload(*payload);
    return contents ? decision_to_json(contents->decision) : nullptr;
}

// An erasure receipt (issue #13, docs/erasure.md; GDPR Art. 17(2), 19): the
// stored subject ids it removed while this process still holds them (EventHub),
// so a mirror drops exactly those; without "subjects" the reader must reload its
// snapshot (the ids are nowhere else: the store never keeps them).
std::string erasure_event_text(const StoredReceipt& r, const std::optional<std::vector<std::string>>& subjects) {
    nlohmann::json data = {{"erasure_id", r.receipt_id}, {"log_index", r.log_index}, {"server_time", r.server_time}};
    if (subjects) data["subjects"] = *subjects;
    return "id: " + std::to_string(r.log_index) + "\nevent: erasure\ndata: " + data.dump() + "\n\n";
}

std::string event_text(const StoredReceipt& r) {
    const nlohmann::json data = {{"receipt_id", r.receipt_id},   {"subject", r.subject_id},
                                 {"method", r.method},           {"log_index", r.log_index},
                                 {"server_time", r.server_time}, {"decision", recorded_decision(r)}};
    return "id: " + std::to_string(r.log_index) + "\nevent: receipt\ndata: " + data.dump() + "\n\n";
}

}  // namespace

EventStreams::EventStreams(EventHub& hub, ReceiptSource source, NoticeSource notices, EventStreamLimits limits)
    : hub_(hub), source_(std::move(source)), notices_(std::move(notices)), limits_(limits) {
    // Per-site wake-ups: a receipt marks only its own site's streams (issue #10).
    hub_.set_listener([this](const std::string& site_id, std::int64_t) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (per_site_.count(site_id) == 0) return;  // nobody streams this site
            dirty_sites_.insert(site_id);
        }
        poll_.wake();
    });
    thread_ = std::thread([this] { pump(); });
}

EventStreams::~EventStreams() { stop(); }

void EventStreams::stop() {
    hub_.set_listener({});
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    poll_.wake();
    if (thread_.joinable()) thread_.join();
}

std::string EventStreams::head() {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
}

std::optional<Refusal> EventStreams::reserve(const std::string& key_id, const std::string& site_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || reserved_ >= limits_.max_streams)
        return Refusal{503, "server.too_many_streams", "the server has no room for another event stream"};
    if (per_key_[key_id] >= limits_.max_streams_per_key || per_site_[site_id] >= limits_.max_streams_per_site)
        return Refusal{429, "request.too_many_streams", "too many event streams open for this key or site"};
    ++per_key_[key_id];
    ++per_site_[site_id];
    ++reserved_;
    return std::nullopt;
}

void EventStreams::release(const std::string& key_id, const std::string& site_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--per_key_[key_id] == 0) per_key_.erase(key_id);
    if (--per_site_[site_id] == 0) per_site_.erase(site_id);
    --reserved_;
}

void EventStreams::adopt(int fd, StreamHandover handover) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        arriving_.emplace_back(fd, std::move(handover));
    }
    poll_.wake();
}

void EventStreams::pump() {
    std::vector<epoll_event> events(64);
    for (;;) {
        const int n = ::epoll_wait(poll_.fd(), events.data(), static_cast<int>(events.size()), next_timeout_ms());
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) break;
        }
        for (int i = 0; i < n; ++i) {
            if (poll_.is_wake(events[i].data.fd)) {
                poll_.drain();
                take_new_work();
            } else {
                on_socket_event(events[i].data.fd, events[i].events);
            }
        }
        for (auto it = streams_.begin(); it != streams_.end();) {
            const int fd = (it++)->first;  // flush may close (erase) this stream
            Stream& s = streams_.at(fd);
            if (s.behind && s.out.size() < limits_.max_buffer_bytes) fill(s);
            flush(fd, s);
        }
        heartbeat_and_expire();
    }
    while (!streams_.empty()) close_stream(streams_.begin()->first);
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [fd, from] : arriving_) ::close(fd);
}

// New streams and the sites whose receipts arrived since the last look.
void EventStreams::take_new_work() {
    std::vector<std::pair<int, StreamHandover>> arriving;
    std::set<std::string> dirty;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        arriving.swap(arriving_);
        dirty.swap(dirty_sites_);
    }
    for (auto& [fd, from] : arriving) register_stream(fd, std::move(from));
    if (dirty.empty()) return;
    for (auto& [fd, s] : streams_)
        if (dirty.count(s.from.site_id)) s.behind = true;
}

void EventStreams::register_stream(int fd, StreamHandover handover) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_ADD, fd, &ev);
    const auto now = Clock::now();
    Stream s{std::move(handover), head(), true, false, now, now + limits_.heartbeat};
    streams_.emplace(fd, std::move(s));
    ++open_;
}

void EventStreams::on_socket_event(int fd, std::uint32_t events) {
    if (streams_.count(fd) == 0) return;
    if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) return close_stream(fd);
    if (events & EPOLLIN) {
        // A client says nothing on an event stream: read and drop, close at its end.
        char drop[512];
        const auto r = ::recv(fd, drop, sizeof drop, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return close_stream(fd);
    }
}

// Reads what the store holds after the stream's position, while the buffer
// has room. A read that fails leaves the stream behind, to be tried again on
// the pump's next turn (at most kBehindRetry later): a fault of the store
// delays events, it never skips one.
void EventStreams::fill(Stream& s) {
    if (s.from.notices) send_notice(s);
    while (s.behind && s.out.size() < limits_.max_buffer_bytes) {
        const auto batch = source_(s.from.site_id, s.from.last_index, kReadBatch);
        if (!batch) return;
        for (const auto& r : *batch)
            append_chunk(s.out, is_erasure_receipt(r)
                                    ? erasure_event_text(r, hub_.erased_subjects(s.from.site_id, r.receipt_id))
                                    : event_text(r));
        if (!batch->empty()) s.from.last_index = batch->back().log_index;
        if (batch->size() < kReadBatch) s.behind = false;
    }
}

// The notice first: a receipt on a newer version is then never applied under
// an older notice the server no longer uses. A read that fails is tried again
// on the next fill (a heartbeat at the latest).
void EventStreams::send_notice(Stream& s) {
    if (!notices_) return;
    auto current = notices_(s.from.site_id);
    if (!current || current->version == s.notice_version) return;
    append_chunk(s.out, "event: notice\ndata: " + current->data + "\n\n");
    s.notice_version = current->version;
}

void EventStreams::flush(int fd, Stream& s) {
    if (s.out.empty() && !s.polling_out) return;
    std::size_t sent = 0;
    while (sent < s.out.size()) {
        const auto n = ::send(fd, s.out.data() + sent, s.out.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        return close_stream(fd);
    }
    if (sent > 0) {
        s.out.erase(0, sent);
        s.progress = Clock::now();
        s.next_heartbeat = s.progress + limits_.heartbeat;
    }
    if (s.polling_out == !s.out.empty()) return;
    s.polling_out = !s.out.empty();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (s.polling_out ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
    ev.data.fd = fd;
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_MOD, fd, &ev);
}

// A ":" comment on a stream quiet for a heartbeat interval keeps proxies from
// closing it; a stream whose output has not moved for the write timeout is closed.
void EventStreams::heartbeat_and_expire() {
    const auto now = Clock::now();
    for (auto it = streams_.begin(); it != streams_.end();) {
        const int fd = (it++)->first;
        Stream& s = streams_.at(fd);
        if (!s.out.empty() && now - s.progress > limits_.write_timeout) {
            close_stream(fd);
        } else if (s.out.empty() && now >= s.next_heartbeat) {
            if (s.from.notices) send_notice(s);  // a version published by another process (consentctl)
            append_chunk(s.out, ":\n\n");
            flush(fd, s);
        }
    }
}

int EventStreams::next_timeout_ms() const {
    if (streams_.empty()) return -1;
    auto next = Clock::time_point::max();
    for (const auto& [fd, s] : streams_) {
        next = std::min(next, s.out.empty() ? s.next_heartbeat : s.progress + limits_.write_timeout);
        if (s.behind) next = std::min(next, Clock::now() + kBehindRetry);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(wait + 1, 0, 60000));
}

void EventStreams::close_stream(int fd) {
    const auto found = streams_.find(fd);
    if (found == streams_.end()) return;
    ::epoll_ctl(poll_.fd(), EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    release(found->second.from.key_id, found->second.from.site_id);
    streams_.erase(found);
    --open_;
}

}  // namespace consent::server
