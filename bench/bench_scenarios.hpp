// consentd's measurements, one repetition per call, over real HTTP to the
// in-process server: receipts stored, single and batch checks, and how long a
// withdrawal takes to show in a check and in the event stream.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "bench_load.hpp"
#include "bench_server.hpp"

namespace consent::bench {

// Latencies of a sequential scenario (one sample per withdrawal) and its failures.
struct Samples {
    std::vector<double> latencies_ms;
    std::size_t failures = 0;
};

class Scenarios {
public:
    Scenarios(BenchServer& server, std::chrono::milliseconds duration);

    // Posts one decision and returns its receipt's JWS signing input (what the
    // server signed), so the signature ceiling signs a message of the real size.
    std::string sample_signing_input();
    // That decision's request body and the server's answer, as sent: what the
    // bare POST ceiling carries each way.
    const std::string& sample_body() const { return sample_body_; }
    const std::string& sample_answer() const { return sample_answer_; }

    // POST /v1/sites/{site}/decisions: accept_all by a fresh browser subject
    // ("b_" + 22 base64url characters) with a fresh decision id per request.
    // Acknowledged subjects join the pool the checks read.
    LoadResult receipts(std::size_t clients);
    // GET /v1/sites/{site}/subjects/{subject}/purposes/{purpose} with the API key,
    // for granted subjects (the answer must say allowed).
    LoadResult single_checks(std::size_t clients);
    // POST /v1/sites/{site}/checks with `pairs` (subject, purpose) pairs per request; items are pairs.
    LoadResult batch_checks(std::size_t clients, std::size_t pairs);
    // Grant (untimed), then time from sending the backend withdrawal until a
    // check, made again and again meanwhile on another connection, answers denied.
    Samples withdrawal_to_denied(std::size_t count);
    // Same withdrawals, timed until the site's event stream delivers the receipt's event.
    Samples withdrawal_to_event(std::size_t count);

    // Receipts posted by `clients` threads at `per_second` in all, paced (an
    // open loop: a slow answer does not lower the offered rate), from start()
    // until stop(); stop() returns how many were stored per second.
    class Background {
    public:
        Background(Scenarios& scenarios, std::size_t clients, double per_second);
        ~Background();
        double stop();

    private:
        std::atomic<bool> stopping_{false};
        std::atomic<std::size_t> stored_{0};
        Clock::time_point started_;
        std::vector<std::thread> threads_;
    };

    std::size_t granted_subjects() const { return granted_.size(); }
    // How long each load scenario runs (a warm-up runs shorter than a measurement).
    void set_duration(std::chrono::milliseconds duration) { duration_ = duration; }

private:
    LoadPlan plan(std::size_t clients) const;
    httplib::Headers backend_headers() const;
    std::string grant_fresh_subject(httplib::Client& client);

    BenchServer& server_;
    std::chrono::milliseconds duration_;
    std::vector<std::string> granted_;  // subjects with an acknowledged accept_all
    std::string sample_body_;
    std::string sample_answer_;
    std::size_t seed_ = 1;  // distinct random streams per client and per run
};

}  // namespace consent::bench
