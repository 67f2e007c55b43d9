// The append pipeline (server/storage/append_pipeline.hpp) on its own, over a
// store in memory: many callers at once, failures after an index was taken,
// one decision id or one subject from many threads. The SQLite store's
// conformance suite (receipt_store_test.cpp) runs the same paths on a real
// file. Also run under ThreadSanitizer ([concurrency]).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "storage/append_pipeline.hpp"

namespace {

using consent::Result;
using consent::server::AppendBackend;
using consent::server::AppendOutcome;
using consent::server::AppendPipeline;
using consent::server::AppendRequest;
using consent::server::Checkpoint;
using consent::server::PriorReceipt;
using consent::server::ReceiptSlot;
using consent::server::SealedAppend;
using consent::server::SealedReceipt;
using consent::server::StoredReceipt;

std::string hash_of(const std::string& jws) { return consent::hex_encode(consent::sha256(jws)); }

// A log in memory with the store's rules: receipts must continue the log, a
// batch is all or nothing; fail_next_writes makes the next batches fail.
class MemoryBackend final : public AppendBackend {
public:
    Result<std::optional<PriorReceipt>> find_decision(const std::string& site,
                                                      const std::string& decision_id) override {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& r : receipts_)
            if (r.receipt.site_id == site && r.receipt.decision_id == decision_id)
                return std::optional<PriorReceipt>(r);
        return std::optional<PriorReceipt>();
    }
    Result<std::string> chain_head(const std::string& site, const std::string& subject) override {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto r = receipts_.rbegin(); r != receipts_.rend(); ++r)
            if (r->receipt.site_id == site && r->receipt.subject_id == subject) return hash_of(r->receipt.jws);
        return std::string();
    }
    Result<bool> site_exists(const std::string& site) override { return site == "shop"; }
    Result<std::optional<Checkpoint>> latest_checkpoint() override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (receipts_.empty()) return std::optional<Checkpoint>();
        Checkpoint c;
        c.tree_size = static_cast<std::int64_t>(receipts_.size());
        return std::optional<Checkpoint>(c);
    }
    Result<std::int64_t> load_log() override {
        std::lock_guard<std::mutex> lock(mutex_);
        return static_cast<std::int64_t>(receipts_.size());
    }
    Result<std::optional<Checkpoint>> write_batch(const std::vector<SealedAppend>& batch) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (fail_next_writes > 0) {
            --fail_next_writes;
            return consent::make_error("storage.unavailable", "the disk is full");
        }
        for (std::size_t i = 0; i < batch.size(); ++i)
            if (batch[i].receipt->log_index != static_cast<std::int64_t>(receipts_.size() + i))
                return consent::make_error("test.gap", "a batch does not continue the log");
        for (const auto& a : batch) {
            receipts_.push_back(PriorReceipt{*a.receipt, a.request->decision});
            prev_hashes_.push_back(*a.previous_receipt_hash);
        }
        batch_sizes.push_back(batch.size());
        Checkpoint c;
        c.tree_size = static_cast<std::int64_t>(receipts_.size());
        return std::optional<Checkpoint>(c);
    }

    // Read after the pipeline has stopped.
    std::vector<PriorReceipt> receipts_;
    std::vector<std::string> prev_hashes_;
    std::vector<std::size_t> batch_sizes;
    int fail_next_writes = 0;  // set before any append

private:
    std::mutex mutex_;
};

// The receipt's text names its index and its predecessor's hash, as a real one does.
SealedReceipt fake_seal(const ReceiptSlot& slot) {
    const std::string jws = "jws." + std::to_string(slot.log_index) + "." + slot.previous_receipt_hash;
    return {jws, "{}"};
}

consent::Decision decision(const std::string& id, const std::string& subject,
                           consent::Method method = consent::Method::accept_all) {
    consent::Decision d;
    d.decision_id = id;
    d.subject_id = subject;
    d.method = method;
    d.notice_id = "n";
    d.notice_version = 1;
    return d;
}

AppendRequest request(const std::string& id, const std::string& subject) {
    return AppendRequest{"shop", "rcpt-" + id, decision(id, subject),
                         [](const ReceiptSlot& slot) { return Result<SealedReceipt>(fake_seal(slot)); }};
}

const std::string kJson = "{}";

std::unique_ptr<AppendPipeline> start(MemoryBackend& backend, std::size_t max_batch = 512) {
    auto pipeline = AppendPipeline::start(
        backend, [] { return std::int64_t{1000}; }, max_batch);
    REQUIRE(pipeline.ok());
    return std::move(pipeline.value());
}

// Every receipt's prev names the hash of its subject's previous one, in log order.
void check_chains(const MemoryBackend& backend) {
    std::map<std::string, std::string> last;
    for (std::size_t i = 0; i < backend.receipts_.size(); ++i) {
        const StoredReceipt& r = backend.receipts_[i].receipt;
        CAPTURE(i, r.subject_id);
        CHECK(r.log_index == static_cast<std::int64_t>(i));
        CHECK(backend.prev_hashes_[i] == last[r.subject_id]);
        CHECK(r.jws == "jws." + std::to_string(i) + "." + backend.prev_hashes_[i]);
        last[r.subject_id] = hash_of(r.jws);
    }
}

// Runs body(t) on n threads at once and joins them.
template <class Body>
void on_threads(int n, Body body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) threads.emplace_back([&body, t] { body(t); });
    for (auto& thread : threads) thread.join();
}

std::string id(int t, int i) { return std::to_string(t) + "-" + std::to_string(i); }

}  // namespace

TEST_CASE("many callers at once each get their own receipt in one gapless log of bounded batches",
          "[server][storage][concurrency]") {
    constexpr int kThreads = 24;
    constexpr int kEach = 30;
    MemoryBackend backend;
    {
        auto pipeline = start(backend, 16);
        std::atomic<int> failures{0};
        on_threads(kThreads, [&](int t) {
            for (int i = 0; i < kEach; ++i) {
                // Threads share subjects, so that chains meet in flight.
                const auto r = request(id(t, i), "subj-" + std::to_string((t * 7 + i) % 40));
                const auto outcome = pipeline->append(r, kJson);
                if (!outcome || outcome->replayed || outcome->receipt.decision_id != r.decision.decision_id ||
                    outcome->checkpoint.tree_size <= outcome->receipt.log_index)
                    ++failures;
            }
        });
        CHECK(failures == 0);
        CHECK(pipeline->commit_count() == static_cast<std::int64_t>(backend.batch_sizes.size()));
    }
    REQUIRE(backend.receipts_.size() == kThreads * kEach);
    CHECK(*std::max_element(backend.batch_sizes.begin(), backend.batch_sizes.end()) <= 16);
    check_chains(backend);
}

TEST_CASE("a failing seal gives its index back and the receipts after it are signed again at theirs",
          "[server][storage][concurrency]") {
    MemoryBackend backend;
    std::atomic<int> refused{0};
    {
        auto pipeline = start(backend);
        on_threads(16, [&](int t) {
            for (int i = 0; i < 20; ++i) {
                AppendRequest r = request(id(t, i), "subj-" + std::to_string(i % 5));
                if (i % 7 == 3)
                    r.seal = [](const ReceiptSlot&) -> Result<SealedReceipt> {
                        return consent::make_error("keys.sign_failed", "no signer");
                    };
                const auto outcome = pipeline->append(r, kJson);
                if (!outcome && outcome.error().code == "keys.sign_failed") ++refused;
            }
        });
    }
    CHECK(refused == 16 * 3);
    CHECK(backend.receipts_.size() == 16 * 17);
    check_chains(backend);  // no gap, no broken chain
}

TEST_CASE("a batch that cannot commit is refused and the receipts behind it are written afterwards",
          "[server][storage][concurrency]") {
    MemoryBackend backend;
    backend.fail_next_writes = 1;
    std::atomic<int> unavailable{0};
    std::atomic<int> stored{0};
    {
        auto pipeline = start(backend);
        on_threads(12, [&](int t) {
            for (int i = 0; i < 10; ++i) {
                const auto outcome = pipeline->append(request(id(t, i), "subj-" + std::to_string(t % 3)), kJson);
                if (outcome) ++stored;
                else if (outcome.error().code == "storage.unavailable") ++unavailable;
            }
        });
    }
    CHECK(unavailable >= 1);
    CHECK(stored + unavailable == 120);
    CHECK(backend.receipts_.size() == static_cast<std::size_t>(stored.load()));
    check_chains(backend);
}

TEST_CASE("one decision id sent from many threads at once is one receipt and every other answer replays it",
          "[server][storage][concurrency]") {
    MemoryBackend backend;
    std::vector<Result<AppendOutcome>> outcomes(16, consent::make_error("test.unset", "not answered"));
    {
        auto pipeline = start(backend);
        on_threads(16, [&](int t) {
            AppendRequest r = request("same", "subj-a");
            r.receipt_id = "rcpt-" + std::to_string(t);
            outcomes[static_cast<std::size_t>(t)] = pipeline->append(r, kJson);
        });
        // Under the same id, another decision is refused and tells nothing of the first.
        const auto other = pipeline->append(
            AppendRequest{"shop", "rcpt-x", decision("same", "subj-b"), request("x", "y").seal}, kJson);
        REQUIRE_FALSE(other.ok());
        CHECK(other.error().code == "decision.id_conflict");
    }
    REQUIRE(backend.receipts_.size() == 1);
    int fresh = 0;
    for (const auto& o : outcomes) {
        REQUIRE(o.ok());
        CHECK(o->receipt.receipt_id == backend.receipts_[0].receipt.receipt_id);
        if (!o->replayed) ++fresh;
    }
    CHECK(fresh == 1);
}

TEST_CASE("an append for a site the store does not know takes no index", "[server][storage]") {
    MemoryBackend backend;
    auto pipeline = start(backend);
    AppendRequest r = request("d1", "subj-a");
    r.site_id = "nowhere";
    const auto refused = pipeline->append(r, kJson);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "storage.unknown_site");
    const auto stored = pipeline->append(request("d2", "subj-a"), kJson);
    REQUIRE(stored.ok());
    CHECK(stored->receipt.log_index == 0);
}
