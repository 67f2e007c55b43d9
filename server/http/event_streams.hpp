// Server-sent event streams (GET /v1/sites/{site}/events), off the request
// workers: once the route has authorized a stream, the connection is handed
// here, and one pump thread writes each stream's events and heartbeats
// (non-blocking sockets, its own epoll). A stream is woken only by receipts of
// its own site (EventHub, per site) and reads them from the store on the pump
// thread, never on the connection loop. Each stream's unsent output is
// bounded: a consumer that stops reading is closed after the write timeout and
// resumes with Last-Event-ID. Events: "id: <log index>", "event: receipt",
// "data: {receipt_id, subject, method, log_index, server_time, decision}" (the
// decision as the core's decision_to_json gives it, read from the signed
// payload: a mirror folds it with the core's state.apply); ":" comments are
// heartbeats (WHATWG HTML §9.2 server-sent events). An erasure receipt is
// "event: erasure", "data: {erasure_id, log_index, server_time, subjects}":
// subjects are the stored subject ids it removed (a mirror forgets them), left
// out when this process no longer knows them (restarted, or an old erasure):
// the reader then reloads its snapshot (issue #13). A stream opened with
// ?notices=1 also gets "event: notice" (no id, so Last-Event-ID is unmoved),
// "data: {version, hash, last_material_version, notice}", first the current
// notice and then each newly published one (issue #15: a mirror's policy
// needs the notice the server's checks use).
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
#include <thread>
#include <vector>

#include "http/request_framer.hpp"
#include "http/request_router.hpp"
#include "http/wakeable_poll.hpp"
#include "service/event_hub.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

struct EventStreamLimits {
    std::size_t max_streams = 256;              // all streams of the process
    std::size_t max_streams_per_key = 32;       // one API key
    std::size_t max_streams_per_site = 64;      // one site, all its keys
    std::size_t max_buffer_bytes = 256 * 1024;  // unsent output of one stream
    std::chrono::milliseconds heartbeat{15000};
    std::chrono::milliseconds write_timeout{10000};  // a full buffer that accepts nothing this long is closed
};

class EventStreams {
public:
    using ReceiptSource = std::function<Result<std::vector<StoredReceipt>>(const std::string& site_id,
                                                                           std::int64_t after, std::size_t limit)>;
    // The site's current notice: its version and the notice event's data.
    struct NoticeEvent {
        std::int64_t version = 0;
        std::string data;
    };
    using NoticeSource = std::function<Result<NoticeEvent>(const std::string& site_id)>;

    EventStreams(EventHub& hub, ReceiptSource source, NoticeSource notices, EventStreamLimits limits);
    EventStreams(const EventStreams&) = delete;
    EventStreams& operator=(const EventStreams&) = delete;
    ~EventStreams();

    // Takes a slot for a new stream (on the worker, before the handover), or
    // says why not: 429 request.too_many_streams (this key or site), 503 (all).
    std::optional<Refusal> reserve(const std::string& key_id, const std::string& site_id);
    // Gives back a reserved slot that never became a stream.
    void release(const std::string& key_id, const std::string& site_id);
    // Takes over a connected socket whose slot is reserved: the pump writes the
    // answer's head at once, then the stored events after handover.last_index.
    void adopt(int fd, StreamHandover handover);
    void stop();
    std::size_t open() const { return open_; }

    // The answer's head (chunked, so each event is one chunk).
    static std::string head();

private:
    using Clock = std::chrono::steady_clock;
    struct Stream {
        StreamHandover from;         // site, key, and the last index sent
        std::string out;             // unsent bytes
        bool behind = true;          // the store may hold receipts not yet sent
        bool polling_out = false;    // registered for EPOLLOUT (the socket was full)
        Clock::time_point progress;  // the last time the socket accepted bytes (or the stream opened)
        Clock::time_point next_heartbeat;
        std::int64_t notice_version = 0;  // the last notice event sent (with from.notices)
    };
    void pump();
    void take_new_work();
    void register_stream(int fd, StreamHandover handover);
    void on_socket_event(int fd, std::uint32_t events);
    void fill(Stream& s);
    void send_notice(Stream& s);
    void flush(int fd, Stream& s);
    void heartbeat_and_expire();
    void close_stream(int fd);
    int next_timeout_ms() const;

    EventHub& hub_;
    ReceiptSource source_;
    NoticeSource notices_;
    EventStreamLimits limits_;
    WakeablePoll poll_;  // woken for: new streams, receipts, stop

    mutable std::mutex mutex_;  // guards the fields up to streams_
    std::map<std::string, std::size_t> per_key_;
    std::map<std::string, std::size_t> per_site_;
    std::size_t reserved_ = 0;
    std::vector<std::pair<int, StreamHandover>> arriving_;
    std::set<std::string> dirty_sites_;
    bool stopping_ = false;

    std::map<int, Stream> streams_;  // pump thread only
    std::atomic<std::size_t> open_{0};
    std::thread thread_;
};

}  // namespace consent::server
