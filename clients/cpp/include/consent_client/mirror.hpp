// A local consent mirror for C++ backends (issue #15): loads consentd's
// snapshot of a site, follows its event stream from exactly that event id,
// and answers allowed(subject, purpose) from memory with the core's own
// policy (consent::is_allowed over states folded by consent::apply_decision),
// so expiry, material notice changes and withdrawals are decided by the same
// code as consentd's checks.
//
// It fails closed: while the stream is cut, or has sent nothing (no event, no
// heartbeat) for stale_after, every answer is a denial with reason
// "mirror_stale" (or, with fallback = ask, consentd's own check). With a
// backend name it acknowledges each withdrawal it applied (POST
// /acknowledgements), the evidence that this backend stopped, and when.
// An erasure event drops the subjects it names (they answer no_decision, as
// consentd's checks do at once; GDPR Art. 17(2)); one without subjects (consentd
// restarted and no longer knows whom) reloads the snapshot, stale meanwhile.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/consent/state_table.hpp"
#include "consent_client/client.hpp"

namespace consent::client {

inline constexpr const char* kMirrorStale = "mirror_stale";

struct MirrorOptions {
    std::chrono::milliseconds stale_after{30000};
    enum class Fallback { deny, ask } fallback = Fallback::deny;
    std::string backend;                  // non-empty: acknowledge each applied withdrawal under this name
    std::function<std::int64_t()> clock;  // server time in seconds; the system clock if empty
    std::int64_t page_limit = 1000;
    std::chrono::milliseconds reconnect{200};
};

class Mirror {
public:
    // The mirror makes its own Client from these (the stream and its calls run on its thread).
    Mirror(const std::string& base_url, const std::string& site, const std::string& api_key, MirrorOptions options = {},
           Options client_options = {});
    ~Mirror();
    Mirror(const Mirror&) = delete;
    Mirror& operator=(const Mirror&) = delete;

    // Starts following; waits up to timeout for the first snapshot and stream (false if not live by then).
    bool start(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
    void stop();

    bool allowed(const std::string& subject, const std::string& purpose) const;
    Verdict verdict(const std::string& subject, const std::string& purpose) const;
    bool live() const;

    // Waits until the mirror is live and has applied event_id and notice_version.
    bool wait_for(std::int64_t event_id, std::int64_t notice_version = 0,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;
    std::int64_t event_id() const;
    std::int64_t notice_version() const;
    std::size_t subjects() const;
    std::vector<Error> errors() const;  // what went wrong on the way (reconnects, failed acknowledgements)

private:
    void run();
    Status load_snapshot();
    Status follow();
    bool on_event(const Event& event);
    void apply_receipt(const nlohmann::json& data, std::int64_t id);
    // False when the erasure names no subjects: the stream ends and the snapshot is reloaded.
    bool apply_erasure(const nlohmann::json& data, std::int64_t id);
    void acknowledge_pending();
    void note(const Error& e);
    void touch();
    std::int64_t now() const;

    MirrorOptions options_;
    std::unique_ptr<Client> client_;         // the mirror thread's (snapshot, stream, acknowledgements)
    std::unique_ptr<Client> asking_client_;  // fallback = ask, under its own lock
    mutable std::mutex asking_mutex_;

    mutable std::shared_mutex state_mutex_;  // guards the fields below up to pending_
    StateTable table_;                       // the core's: folds receipts, answers, names what to acknowledge
    std::int64_t event_id_ = -1;
    std::vector<std::string> pending_acks_;  // mirror thread only
    std::vector<Error> errors_;

    std::atomic<std::int64_t> live_until_ms_{0};  // steady clock; 0: cut
    std::atomic<bool> stopping_{false};
    bool resync_ = false;  // mirror thread only: an erasure without subjects ended the stream
    mutable std::mutex wait_mutex_;
    mutable std::condition_variable changed_;
    std::thread thread_;
};

}  // namespace consent::client
