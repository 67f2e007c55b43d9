// consentd under concurrent use, over real HTTP on 127.0.0.1 and one real
// SQLite file: many clients posting and checking at once, event streams read
// while receipts are committed, notices published while the banner reads
// them, and proofs asked of the store while it grows. Written against the
// public interfaces (HTTP, ReceiptStore), so that they hold whatever the
// connection layer or the event hub look like inside. Every one also runs
// under ThreadSanitizer ([concurrency], scripts/test.sh).
//
// Catch2's assertions belong to the main thread: the threads only collect
// what they saw, and the checks come after they are joined.
#include <catch2/catch.hpp>

#include "store_reads.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/log/merkle.hpp"
#include "fixtures.hpp"
#include "server_fixture.hpp"

namespace {

using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

constexpr const char* kDecisions = "/v1/sites/bike-shop/decisions";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

// A browser-made subject id per number: b_ and 22 base64url characters.
std::string subject_of(int n) {
    static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return std::string("b_Y29uY3VycmVudC1zdWJq") + digits[(n / 64) % 64] + digits[n % 64];
}

// What one thread saw; the main thread checks it.
struct Seen {
    std::vector<std::int64_t> log_indexes;
    std::vector<std::string> problems;
    void problem(std::string what) { problems.push_back(std::move(what)); }
};

void check_no_problems(const std::vector<Seen>& seen) {
    for (std::size_t t = 0; t < seen.size(); ++t) {
        CAPTURE(t);
        CHECK(seen[t].problems == std::vector<std::string>{});
    }
}

// Sorted log indexes of every thread: 0..n-1 when nothing was lost or doubled.
bool gapless(const std::vector<Seen>& seen, std::int64_t n) {
    std::vector<std::int64_t> all;
    for (const auto& s : seen) all.insert(all.end(), s.log_indexes.begin(), s.log_indexes.end());
    std::sort(all.begin(), all.end());
    if (static_cast<std::int64_t>(all.size()) != n) return false;
    for (std::int64_t i = 0; i < n; ++i)
        if (all[static_cast<std::size_t>(i)] != i) return false;
    return true;
}

// Runs body(t) on `threads` threads and waits for all. One request from this
// thread first: Debian's cpp-httplib is a shared library built without
// ThreadSanitizer, whose function-local static regexes are initialized on
// first use; made here, before the threads start, TSan sees that they happen
// before every thread's use instead of reporting the library's guard as a race.
template <class Body>
void on_threads(const RunningServer& s, int threads, Body body) {
    s.client().Get("/healthz");
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) workers.emplace_back([&body, t] { body(t); });
    for (auto& w : workers) w.join();
}

// Posts a decision; an answer other than `want` is a problem. Returns the answer body or null.
json post(httplib::Client& c, const json& body, int want, Seen& seen) {
    auto r = c.Post(kDecisions, {{"Origin", kShopOrigin}}, body.dump(), "application/json");
    if (!r) {
        seen.problem("POST " + body["decision_id"].get<std::string>() + ": " + httplib::to_string(r.error()));
        return nullptr;
    }
    if (r->status != want) {
        seen.problem("POST " + body["decision_id"].get<std::string>() + ": " + std::to_string(r->status) + " " +
                     r->body);
        return nullptr;
    }
    return json::parse(r->body);
}

// A backend check of one purpose: true if allowed; a failed request is a problem.
bool allowed(const RunningServer& s, httplib::Client& c, const std::string& subject, const char* purpose, Seen& seen) {
    const std::string path = "/v1/sites/bike-shop/subjects/" + subject + "/purposes/" + purpose;
    auto r = c.Get(path.c_str(), bearer(s.shop_key()));
    if (!r || r->status != 200) {
        seen.problem("GET " + path + ": " + (r ? std::to_string(r->status) : httplib::to_string(r.error())));
        return false;
    }
    return json::parse(r->body)["allowed"] == true;
}

// One client's work: decisions for its own subject, each checked right after
// (read your writes), then a retry of its first decision id.
void decide_and_check(const RunningServer& s, int t, int decisions, Seen& seen) {
    httplib::Client c = s.client();
    c.set_keep_alive(t % 3 == 0);  // some clients keep their connection, the others open one per request
    const std::string subject = subject_of(t);
    json first;
    for (int i = 0; i < decisions; ++i) {
        const bool grant = i % 2 == 0;
        const json body = s.decision("dec-many-" + std::to_string(t) + "-" + std::to_string(i), subject,
                                     grant ? "accept_all" : "reject_all");
        const json answer = post(c, body, 201, seen);
        if (answer.is_null()) continue;
        if (i == 0) first = answer;
        seen.log_indexes.push_back(answer["log_index"].get<std::int64_t>());
        if (allowed(s, c, subject, "marketing", seen) != grant)
            seen.problem("check after " + body["decision_id"].get<std::string>() + " did not reflect it");
    }
    const json again = post(c, s.decision("dec-many-" + std::to_string(t) + "-0", subject, "accept_all"), 200, seen);
    if (!again.is_null() && !first.is_null() && again["receipt"] != first["receipt"])
        seen.problem("the retry of dec-many-" + std::to_string(t) + "-0 got another receipt");
}

}  // namespace

TEST_CASE("many clients posting and checking at once each get their own receipts on a gapless log",
          "[server][http][concurrency]") {
    RunningServer s;
    constexpr int kClients = 24;
    constexpr int kEach = 8;
    std::vector<Seen> seen(kClients);
    on_threads(s, kClients, [&](int t) { decide_and_check(s, t, kEach, seen[static_cast<std::size_t>(t)]); });
    check_no_problems(seen);
    CHECK(gapless(seen, kClients * kEach));
    CHECK(*s.store().receipt_count() == kClients * kEach);
    CHECK(s.store().rebuild_check().ok());
}

namespace {

// Reads the site's event stream from the start until `want` receipts came;
// records their ids (log indexes) in the order they arrived.
void read_stream(const RunningServer& s, std::size_t want, Seen& seen) {
    httplib::Client c = s.client();
    std::string buffer;
    auto r = c.Get("/v1/sites/bike-shop/events", bearer(s.shop_key()), [&](const char* data, std::size_t n) {
        buffer.append(data, n);
        for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
            const std::string event = buffer.substr(0, end);
            if (event.rfind("id: ", 0) == 0) seen.log_indexes.push_back(std::stoll(event.substr(4)));
        }
        return seen.log_indexes.size() < want;
    });
    // Hanging up after the last wanted event ends the request with Error::Canceled.
    if (seen.log_indexes.size() < want)
        seen.problem("the stream ended after " + std::to_string(seen.log_indexes.size()) +
                     " events: " + (r ? std::to_string(r->status) : httplib::to_string(r.error())));
}

}  // namespace

TEST_CASE("every event stream delivers each receipt once and in log order while many clients post",
          "[server][http][concurrency]") {
    RunningServer s;
    constexpr int kReaders = 4;
    constexpr int kWriters = 6;
    constexpr int kEach = 10;
    constexpr std::size_t kTotal = kWriters * kEach;
    std::vector<Seen> readers(kReaders);
    std::vector<Seen> writers(kWriters);
    on_threads(s, kReaders + kWriters, [&](int t) {
        if (t < kReaders) return read_stream(s, kTotal, readers[static_cast<std::size_t>(t)]);
        const int w = t - kReaders;
        httplib::Client c = s.client();
        for (int i = 0; i < kEach; ++i) {
            const json body = s.decision("dec-stream-" + std::to_string(w) + "-" + std::to_string(i), subject_of(w),
                                         i % 2 ? "reject_all" : "accept_all");
            const json answer = post(c, body, 201, writers[static_cast<std::size_t>(w)]);
            if (!answer.is_null())
                writers[static_cast<std::size_t>(w)].log_indexes.push_back(answer["log_index"].get<std::int64_t>());
        }
    });
    check_no_problems(writers);
    check_no_problems(readers);
    REQUIRE(gapless(writers, kTotal));
    std::vector<std::int64_t> in_order(kTotal);
    for (std::size_t i = 0; i < kTotal; ++i) in_order[i] = static_cast<std::int64_t>(i);
    for (std::size_t t = 0; t < readers.size(); ++t) {
        CAPTURE(t);
        CHECK(readers[t].log_indexes == in_order);
    }
}

TEST_CASE("a notice version published while the banner reads notices is served as soon as publishing returns",
          "[server][http][concurrency]") {
    RunningServer s;
    constexpr int kReaders = 6;
    constexpr int kVersions = 24;
    std::atomic<bool> publishing{true};
    Seen publisher;
    std::vector<Seen> readers(kReaders);
    // The notice cache holds an entry for 2 s of the service clock: moving the
    // clock on keeps readers reloading, as a busy server's would after each window.
    std::int64_t now = consent::test::kNow;
    s.set_time(now);
    on_threads(s, kReaders + 1, [&](int t) {
        if (t > 0) {
            httplib::Client c = s.client();
            while (publishing) {
                auto r = c.Get("/v1/sites/bike-shop/notice", {{"Origin", kShopOrigin}});
                if (!r || r->status != 200) readers[static_cast<std::size_t>(t - 1)].problem("GET notice failed");
            }
            return;
        }
        httplib::Client c = s.client();
        for (int version = 4; version < 4 + kVersions; ++version) {
            json notice = consent::test::shop_notice_json();
            notice["version"] = version;
            notice["material"] = false;
            now += 3;
            s.set_time(now);
            auto published =
                c.Post("/v1/sites/bike-shop/notices", bearer(s.shop_key()), notice.dump(), "application/json");
            if (!published || published->status != 201) {
                publisher.problem("publishing version " + std::to_string(version) + " failed");
                break;
            }
            auto served = c.Get("/v1/sites/bike-shop/notice", {{"Origin", kShopOrigin}});
            const auto got = served ? json::parse(served->body)["notice"]["version"].get<int>() : -1;
            if (got != version)
                publisher.problem("published version " + std::to_string(version) + ", then served " +
                                  std::to_string(got));
        }
        publishing = false;
    });
    CHECK(publisher.problems == std::vector<std::string>{});
    check_no_problems(readers);
}

namespace {

std::vector<std::uint8_t> bytes_of(const consent::merkle::Hash& h) { return {h.begin(), h.end()}; }

std::vector<std::vector<std::uint8_t>> bytes_of(const std::vector<consent::merkle::Hash>& proof) {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& h : proof) out.push_back(bytes_of(h));
    return out;
}

// Asks the store for the latest checkpoint, an inclusion proof of a random leaf
// of it and a consistency proof from the previous checkpoint seen, and checks
// each with the core's verifier. Returns the checkpoint's size.
std::int64_t verify_latest(consent::server::ReceiptStore& store, std::mt19937& random,
                           std::optional<consent::server::Checkpoint>& previous, Seen& seen) {
    const auto checkpoint = store.latest_checkpoint();
    if (!checkpoint) return 0;
    const std::int64_t size = checkpoint->tree_size;
    const auto leaf = std::uniform_int_distribution<std::int64_t>(0, size - 1)(random);
    // Not read_ok: this runs on the clients' threads, where Catch may not assert.
    const auto receipt = store.receipts_after("bike-shop", leaf - 1, 1);
    auto proof = store.inclusion_proof(leaf, size);
    if (!receipt || receipt->size() != 1 || !proof) {
        seen.problem("no receipt or proof for leaf " + std::to_string(leaf) + " of " + std::to_string(size));
        return size;
    }
    const auto leaf_hash = consent::merkle::leaf_hash(receipt->front().jws);
    if (!consent::merkle::verify_inclusion(leaf, size, bytes_of(leaf_hash), bytes_of(*proof),
                                           bytes_of(checkpoint->root)))
        seen.problem("inclusion of leaf " + std::to_string(leaf) + " in " + std::to_string(size) + " does not verify");
    if (previous && previous->tree_size < size) {
        auto consistency = store.consistency_proof(previous->tree_size, size);
        if (!consistency || !consent::merkle::verify_consistency(previous->tree_size, size, bytes_of(previous->root),
                                                                 bytes_of(checkpoint->root), bytes_of(*consistency)))
            seen.problem("tree " + std::to_string(size) + " is not consistent with " +
                         std::to_string(previous->tree_size));
    }
    if (previous && previous->tree_size > size) seen.problem("the latest checkpoint went back");
    previous = *checkpoint;
    return size;
}

}  // namespace

TEST_CASE("proofs asked of the store while clients append all verify against its checkpoints",
          "[server][storage][sqlite][concurrency]") {
    RunningServer s;
    constexpr int kWriters = 6;
    constexpr int kEach = 12;
    constexpr int kProvers = 3;
    std::atomic<int> writing{kWriters};
    std::vector<Seen> writers(kWriters);
    std::vector<Seen> provers(kProvers);
    std::vector<int> proofs(kProvers, 0);
    on_threads(s, kWriters + kProvers, [&](int t) {
        if (t >= kWriters) {
            const auto p = static_cast<std::size_t>(t - kWriters);
            std::mt19937 random(20261203u + static_cast<unsigned>(p));
            std::optional<consent::server::Checkpoint> previous;
            while (writing > 0) {
                if (verify_latest(s.store(), random, previous, provers[p]) > 0) proofs[p]++;
                const auto state = s.store().subject_state("bike-shop", subject_of(static_cast<int>(p)));
                (void)state;
            }
            return;
        }
        httplib::Client c = s.client();
        for (int i = 0; i < kEach; ++i) {
            const json body = s.decision("dec-proof-" + std::to_string(t) + "-" + std::to_string(i), subject_of(t),
                                         i % 3 ? "accept_all" : "reject_all");
            const json answer = post(c, body, 201, writers[static_cast<std::size_t>(t)]);
            if (!answer.is_null())
                writers[static_cast<std::size_t>(t)].log_indexes.push_back(answer["log_index"].get<std::int64_t>());
        }
        writing--;
    });
    check_no_problems(writers);
    check_no_problems(provers);
    CHECK(gapless(writers, kWriters * kEach));
    for (std::size_t p = 0; p < proofs.size(); ++p) {
        CAPTURE(p);
        CHECK(proofs[p] > 0);
    }
    CHECK(s.store().rebuild_check().ok());
}
