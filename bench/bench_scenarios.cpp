#include "bench_scenarios.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_requests.hpp"

namespace consent::bench {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxPool = 100000;               // subjects kept for the checks
constexpr auto kAnswerWait = std::chrono::seconds(2);  // a withdrawal not visible by then counts as failed
constexpr std::array<const char*, 2> kConsentPurposes = {"analytics", "marketing"};

std::string site_path(const std::string& rest) { return std::string("/v1/sites/") + kSite + rest; }

std::string check_path(const std::string& subject, const char* purpose) {
    return site_path("/subjects/" + subject + "/purposes/" + purpose);
}

bool says(const httplib::Result& r, int status, const char* fragment) {
    return r && r->status == status && r->body.find(fragment) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& fragment) {
    std::size_t n = 0;
    for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + fragment.size())) ++n;
    return n;
}

std::string batch_body(const std::vector<std::string>& pool, std::size_t pairs, std::mt19937_64& rng) {
    json checks = json::array();
    for (std::size_t i = 0; i < pairs; ++i)
        checks.push_back({{"subject", pool[rng() % pool.size()]}, {"purpose", kConsentPurposes[i % 2]}});
    return json{{"checks", checks}}.dump();
}

std::optional<std::int64_t> withdraw(httplib::Client& client, const httplib::Headers& headers,
                                     const std::string& subject) {
    auto r = client.Post(site_path("/subjects/" + subject + "/withdrawals"), headers, "{}", "application/json");
    if (!r || r->status != 201) return std::nullopt;
    const json answer = json::parse(r->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("log_index")) return std::nullopt;
    return answer["log_index"].get<std::int64_t>();
}

// Checks until the answer says denied; bounded in tries and time.
bool wait_denied(httplib::Client& client, const httplib::Headers& headers, const std::string& subject,
                 Clock::time_point deadline) {
    for (int attempt = 0; attempt < 10000 && Clock::now() < deadline; ++attempt)
        if (says(client.Get(check_path(subject, "analytics"), headers), 200, "\"allowed\":false")) return true;
    return false;
}

// Reads the site's event stream on its own connection and notes when each log
// index arrived. Server-sent events: blocks end with a blank line, "id: <log index>".
class EventReader {
public:
    EventReader(int port, httplib::Headers headers) : client_(make_client(port)), headers_(std::move(headers)) {
        client_.set_read_timeout(30, 0);  // heartbeats arrive every second; this only bounds a dead server
        thread_ = std::thread([this] { run(); });
    }
    ~EventReader() {
        stop_ = true;
        client_.stop();
        thread_.join();
    }
    bool wait_connected() {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, kAnswerWait, [&] { return connected_; });
    }
    std::optional<Clock::time_point> wait_for(std::int64_t log_index) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!changed_.wait_for(lock, kAnswerWait, [&] { return arrivals_.count(log_index) != 0; })) return std::nullopt;
        return arrivals_[log_index];
    }

private:
    void run() {
        (void)client_.Get(
            site_path("/events"), headers_,
            [this](const httplib::Response& res) { return mark_connected(res.status == 200); },
            [this](const char* data, std::size_t size) { return receive(data, size); });
    }
    bool mark_connected(bool ok) {
        std::lock_guard<std::mutex> lock(mutex_);
        connected_ = ok;
        changed_.notify_all();
        return ok;
    }
    bool receive(const char* data, std::size_t size) {
        const auto now = Clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        buffer_.append(data, size);
        for (auto end = buffer_.find("\n\n"); end != std::string::npos; end = buffer_.find("\n\n")) {
            if (buffer_.rfind("id: ", 0) == 0) arrivals_[std::strtoll(buffer_.c_str() + 4, nullptr, 10)] = now;
            buffer_.erase(0, end + 2);
        }
        changed_.notify_all();
        return !stop_;
    }

    httplib::Client client_;
    httplib::Headers headers_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool connected_ = false;
    std::atomic<bool> stop_{false};
    std::string buffer_;
    std::map<std::int64_t, Clock::time_point> arrivals_;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

Scenarios::Scenarios(BenchServer& server, std::chrono::milliseconds duration) : server_(server), duration_(duration) {}

LoadPlan Scenarios::plan(std::size_t clients) const {
    LoadPlan p;
    p.clients = clients;
    p.duration = duration_;
    return p;
}

httplib::Headers Scenarios::backend_headers() const { return {{"Authorization", "Bearer " + server_.api_key()}}; }

std::string Scenarios::sample_signing_input() {
    httplib::Client client = make_client(server_.port());
    std::mt19937_64 rng(seed_++);
    const std::string subject = "b_" + random_token(rng);
    sample_body_ = decision_body(server_.notice(), subject, "dec_" + random_token(rng));
    auto r = client.Post(site_path("/decisions"), {{"Origin", kOrigin}}, sample_body_, "application/json");
    if (!r || r->status != 201) throw std::runtime_error("the warm-up decision was not stored");
    sample_answer_ = r->body;
    const std::string jws = json::parse(r->body)["receipt"].get<std::string>();
    granted_.push_back(subject);
    return jws.substr(0, jws.rfind('.'));  // RFC 7515 §5.1: the signing input is header.payload
}

LoadResult Scenarios::receipts(std::size_t clients) {
    std::vector<std::mt19937_64> rngs;
    for (std::size_t i = 0; i < clients; ++i) rngs.emplace_back(seed_++);
    std::vector<std::vector<std::string>> stored(clients);
    const httplib::Headers headers = {{"Origin", kOrigin}};  // what a banner sends; the site allows it
    LoadResult result = run_load(server_.port(), plan(clients), [&](httplib::Client& c, std::size_t id, std::size_t) {
        const std::string subject = "b_" + random_token(rngs[id]);
        const std::string body = decision_body(server_.notice(), subject, "dec_" + random_token(rngs[id]));
        if (!says(c.Post(site_path("/decisions"), headers, body, "application/json"), 201, "\"receipt\""))
            return std::size_t{0};
        stored[id].push_back(subject);
        return std::size_t{1};
    });
    for (auto& subjects : stored)
        for (auto& s : subjects)
            if (granted_.size() < kMaxPool) granted_.push_back(std::move(s));
    return result;
}

LoadResult Scenarios::single_checks(std::size_t clients) {
    std::vector<std::mt19937_64> rngs;
    for (std::size_t i = 0; i < clients; ++i) rngs.emplace_back(seed_++);
    const httplib::Headers headers = backend_headers();
    return run_load(server_.port(), plan(clients), [&](httplib::Client& c, std::size_t id, std::size_t n) {
        const std::string& subject = granted_[rngs[id]() % granted_.size()];
        const bool allowed =
            says(c.Get(check_path(subject, kConsentPurposes[n % 2]), headers), 200, "\"allowed\":true");
        return std::size_t{allowed ? 1u : 0u};
    });
}

LoadResult Scenarios::batch_checks(std::size_t clients, std::size_t pairs) {
    std::vector<std::string> bodies;
    std::mt19937_64 rng(seed_++);
    for (std::size_t i = 0; i < clients; ++i) bodies.push_back(batch_body(granted_, pairs, rng));
    const httplib::Headers headers = backend_headers();
    return run_load(server_.port(), plan(clients), [&](httplib::Client& c, std::size_t id, std::size_t) {
        auto r = c.Post(site_path("/checks"), headers, bodies[id], "application/json");
        const bool all_allowed = r && r->status == 200 && count_of(r->body, "\"allowed\":true") == pairs;
        return all_allowed ? pairs : std::size_t{0};
    });
}

std::string Scenarios::grant_fresh_subject(httplib::Client& client) {
    std::mt19937_64 rng(seed_++);
    const std::string subject = "b_" + random_token(rng);
    auto r = client.Post(site_path("/decisions"), {{"Origin", kOrigin}},
                         decision_body(server_.notice(), subject, "dec_" + random_token(rng)), "application/json");
    return r && r->status == 201 ? subject : std::string();
}

// A backend that keeps checking while the withdrawal is sent (on a connection
// of its own): the time until its first check answers denied. The withdrawal's
// own answer must still come (201), or the sample counts as failed.
Samples Scenarios::withdrawal_to_denied(std::size_t count) {
    httplib::Client client = make_client(server_.port());
    httplib::Client sender = make_client(server_.port());
    const httplib::Headers headers = backend_headers();
    Samples out;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string subject = grant_fresh_subject(client);
        if (subject.empty()) {
            ++out.failures;
            continue;
        }
        const auto start = Clock::now();
        auto sent = std::async(std::launch::async, [&] { return withdraw(sender, headers, subject).has_value(); });
        const bool denied = wait_denied(client, headers, subject, start + kAnswerWait);
        const auto seen = Clock::now();
        if (denied && sent.get()) out.latencies_ms.push_back(milliseconds_between(start, seen));
        else ++out.failures;
    }
    return out;
}

Samples Scenarios::withdrawal_to_event(std::size_t count) {
    httplib::Headers stream_headers = backend_headers();
    // Resume after the current end of the log: the stream would otherwise replay every receipt so far.
    stream_headers.emplace("Last-Event-ID", std::to_string(*server_.store().receipt_count() - 1));
    EventReader reader(server_.port(), stream_headers);
    Samples out;
    if (!reader.wait_connected()) {
        out.failures = count;
        return out;
    }
    httplib::Client client = make_client(server_.port());
    const httplib::Headers headers = backend_headers();
    for (std::size_t i = 0; i < count; ++i) {
        const std::string subject = grant_fresh_subject(client);
        const auto start = Clock::now();
        const auto index = subject.empty() ? std::nullopt : withdraw(client, headers, subject);
        const auto arrived = index ? reader.wait_for(*index) : std::nullopt;
        if (arrived) out.latencies_ms.push_back(milliseconds_between(start, *arrived));
        else ++out.failures;
    }
    return out;
}

Scenarios::Background::Background(Scenarios& scenarios, std::size_t clients, double per_second)
    : started_(Clock::now()) {
    const auto interval = std::chrono::duration<double>(static_cast<double>(clients) / per_second);
    for (std::size_t id = 0; id < clients; ++id) {
        const std::uint64_t seed = scenarios.seed_++;
        threads_.emplace_back([this, &scenarios, interval, seed, id, clients] {
            httplib::Client client = make_client(scenarios.server_.port());
            std::mt19937_64 rng(seed);
            const httplib::Headers headers = {{"Origin", kOrigin}};
            // Staggered so the clients' requests spread over each interval.
            auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           interval * (static_cast<double>(id) / static_cast<double>(clients)));
            while (!stopping_) {
                std::this_thread::sleep_until(next);
                next += std::chrono::duration_cast<Clock::duration>(interval);
                const std::string body =
                    decision_body(scenarios.server_.notice(), "b_" + random_token(rng), "dec_" + random_token(rng));
                if (says(client.Post(site_path("/decisions"), headers, body, "application/json"), 201, "\"receipt\""))
                    ++stored_;
            }
        });
    }
}

Scenarios::Background::~Background() { stop(); }

double Scenarios::Background::stop() {
    stopping_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    const double seconds = milliseconds_between(started_, Clock::now()) / 1000.0;
    return seconds > 0.0 ? static_cast<double>(stored_) / seconds : 0.0;
}

}  // namespace consent::bench
