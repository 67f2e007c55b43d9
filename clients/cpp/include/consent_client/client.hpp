// consentd's backend API for C++ backends (issue #15), over cpp-httplib.
//
// Every call has a timeout (connect, read and write: Options::timeout).
// Errors are values: Result<T> whose Error::code is the server's own code
// (docs/errors.md), or client.unreachable / client.timeout / client.bad_answer
// for what never reached an answer. Retryable errors (the server's 429 and
// 503, and connection failures) are retried with exponential backoff and
// jitter, honouring Retry-After, up to Options::retries times.
// One Client is used by one thread at a time (it keeps one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"

namespace consent::client {

struct Options {
    std::chrono::milliseconds timeout{5000};
    int retries = 3;
    std::chrono::milliseconds backoff{50};
    std::chrono::milliseconds max_backoff{2000};
};

// consentd's answer to a check (the core's Verdict, as verdict_to_json writes it).
struct CheckResult {
    bool allowed = false;
    std::string reason;
    std::string receipt_id;
};

// One server-sent event: "receipt" (id = log index) or "notice" (no id).
struct Event {
    std::string type;
    std::optional<std::int64_t> id;
    nlohmann::json data;
};

class Client {
public:
    // base_url: "http://127.0.0.1:8080" (https needs httplib's OpenSSL support).
    Client(const std::string& base_url, std::string site, std::string api_key, Options options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    Result<CheckResult> check(const std::string& subject, const std::string& purpose);
    Result<std::vector<CheckResult>> check_many(const std::vector<std::pair<std::string, std::string>>& pairs);
    // Server-side withdrawal (every consent purpose when purposes is empty);
    // the receipt answer. A decision id makes the call safe to repeat.
    Result<nlohmann::json> withdraw(const std::string& subject, const std::vector<std::string>& purposes = {},
                                    const std::string& decision_id = "");
    Result<nlohmann::json> export_subject(const std::string& subject);
    Result<nlohmann::json> publish_notice(const nlohmann::json& notice);
    // One snapshot page: at and after from the previous page's "next" (none for the first).
    Result<nlohmann::json> snapshot_page(std::optional<std::int64_t> at, const std::string& after,
                                         std::int64_t limit = 500);
    // Proof that processing stopped: this backend applied these receipts.
    Result<nlohmann::json> acknowledge(const std::string& backend, const std::vector<std::string>& receipt_ids);
    Result<nlohmann::json> backends();

    // One connection of the event stream, from after last_event_id (resume:
    // the last id seen). on_event is called for each event and on_beat for
    // every byte received (events and heartbeats); either returning false
    // ends the stream. Returns when the stream ends: client.timeout if nothing
    // arrived for idle_timeout, client.unreachable if it was cut, Unit if a
    // callback ended it or stop_stream() was called.
    Status events(std::optional<std::int64_t> last_event_id, bool notices, std::chrono::milliseconds idle_timeout,
                  const std::function<bool(const Event&)>& on_event, const std::function<bool()>& on_beat = {});
    // From another thread: cuts the stream events() is reading.
    void stop_stream();

    const std::string& site() const { return site_; }

private:
    Result<nlohmann::json> request(const std::string& method, const std::string& rest, const nlohmann::json* body);
    Result<nlohmann::json> once(const std::string& method, const std::string& path, const nlohmann::json* body,
                                std::chrono::milliseconds& retry_after);
    std::string path(const std::string& rest) const;

    struct Http;
    std::unique_ptr<Http> http_;    // the calls' connection
    std::unique_ptr<Http> stream_;  // the event stream's own
    std::string site_;
    std::string auth_;
    Options options_;
};

}  // namespace consent::client
