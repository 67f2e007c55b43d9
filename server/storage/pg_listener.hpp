// The fan-out between replicas (issue #12, docs/replicas.md): one LISTEN
// session on kReceiptChannel, its own thread, handing every notification
// ("<log index> <site id>", sent by a writer's transaction and delivered at
// its COMMIT) to a callback, which consentd points at EventHub::publish.
// A lost session is opened again (after retry_ms) and then on_reconnect runs:
// notifications sent meanwhile are gone, so the streams must look at the store
// (they read from their own last index, so nothing is missed, only late).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace consent::server::pg {

class Listener {
public:
    using OnReceipt = std::function<void(const std::string& site_id, std::int64_t log_index)>;
    using OnReconnect = std::function<void()>;
    using OnNotice = std::function<void(const std::string& site_id)>;

    // on_notice (optional) hears kNoticeChannel: a notice version published by any replica.
    Listener(std::string url, OnReceipt on_receipt, OnReconnect on_reconnect, int retry_ms = 200,
             OnNotice on_notice = {});
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();  // stops and joins within about one poll interval

    // Sessions opened so far (tests: a reconnect happened).
    int sessions() const { return sessions_.load(); }

private:
    void run();
    bool listen_once();  // one session, until it breaks or stop; false if it could not open

    const std::string url_;
    OnReceipt on_receipt_;
    OnReconnect on_reconnect_;
    OnNotice on_notice_;
    const int retry_ms_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> sessions_{0};
    std::thread thread_;  // last: started once the rest exists
};

}  // namespace consent::server::pg
