// The PostgreSQL store against a real server (the throwaway cluster of
// pg_cluster.sh, started by the ctest fixture): the ReceiptStore conformance
// suite, and what only a shared database has: two stores on one database
// (two replicas) appending at once keep one gapless log and one tree.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "consent/log/merkle.hpp"
#include "fixtures.hpp"
#include "pg_test_database.hpp"
#include "storage/pg_store.hpp"
#include "store_conformance.hpp"
#include "store_conformance_cases.hpp"
#include "store_reads.hpp"

namespace {

using namespace consent::test::store;  // NOLINT: the suite's inputs and checks
using consent::server::PgStore;
using consent::test::kNow;
using consent::test::read_ok;
using consent::test::TestDatabase;

class PgHarness {
public:
    std::unique_ptr<PgStore> open() {
        auto store = PgStore::open(db.url(), [this] { return now.load(); });
        if (!store) FAIL(store.error().code << ": " << store.error().message);
        return std::move(store).value();
    }

    StoreFactory factory() {
        return [this] { return std::unique_ptr<ReceiptStore>(open()); };
    }

    std::atomic<std::int64_t> now{kNow};
    TestDatabase db;
};

}  // namespace

CONSENT_STORE_CONFORMANCE_CASES("postgresql: ", "[server][storage][postgresql]", PgHarness)

TEST_CASE("postgresql: 32 threads appending at once share commits and leave a gapless log",
          "[server][storage][postgresql][concurrency]") {
    PgHarness h;
    RecordingSigner signer;
    auto store = h.open();
    store->set_checkpoint_signer(signer.function());
    const std::int64_t appends = conformance::concurrent_appends(*store, 32, 20);
    CAPTURE(appends, store->commit_count());
    CHECK(store->commit_count() < appends);
    CHECK(static_cast<std::int64_t>(signer.calls().size()) == store->commit_count());
    REQUIRE(store->latest_checkpoint().ok());
    CHECK(store->latest_checkpoint()->tree_size == appends);
}

TEST_CASE("postgresql: rebuild_check names the subject whose current state was changed behind the store's back",
          "[server][storage][postgresql]") {
    PgHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, decide("decision-1", "subj-a", Method::withdraw)));
    REQUIRE(store->rebuild_check().ok());
    auto raw = h.db.connect();
    REQUIRE(raw->run("UPDATE current_state SET state = 'granted' WHERE subject_id = 'subj-a'").ok());
    const auto status = store->rebuild_check();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "storage.state_mismatch");
    CHECK_THAT(status.error().message, Catch::Contains("subj-a"));
}

namespace {

// Even threads append at a, odd ones at b; threads 2k and 2k+1 share a
// subject, so its chain crosses replicas. Every outcome is kept.
std::vector<AppendOutcome> append_at_both(PgStore& a, PgStore& b, const std::vector<std::vector<Decision>>& decisions,
                                          std::vector<std::string>& errors) {
    std::mutex mutex;
    std::vector<AppendOutcome> outcomes;
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < decisions.size(); ++t)
        workers.emplace_back([&, t] {
            PgStore& store = t % 2 == 0 ? a : b;
            for (const auto& d : decisions[t]) {
                auto outcome = store.append(request(kShop, d));
                std::lock_guard<std::mutex> lock(mutex);
                if (outcome) outcomes.push_back(outcome.value());
                else errors.push_back(outcome.error().code + ": " + outcome.error().message);
            }
        });
    for (auto& w : workers) w.join();
    return outcomes;
}

// Made before the threads start: Catch2's assertions belong to the main thread.
std::vector<std::vector<Decision>> shared_subject_decisions(int threads, int per_thread) {
    std::vector<std::vector<Decision>> out(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t)
        for (int i = 0; i < per_thread; ++i)
            out[static_cast<std::size_t>(t)].push_back(decide("decision-" + std::to_string(t) + "-" + std::to_string(i),
                                                              "subject-" + std::to_string(t / 2), Method::custom,
                                                              {{"analytics", i % 2 == 0}}));
    return out;
}

}  // namespace

TEST_CASE("postgresql: two replicas appending at once keep one gapless log whose checkpoints are all consistent",
          "[server][storage][postgresql][concurrency]") {
    PgHarness h;
    RecordingSigner signer;
    auto a = h.open();
    auto b = h.open();
    a->set_checkpoint_signer(signer.function());
    b->set_checkpoint_signer(signer.function());
    setup_site(*a, kShop);
    std::vector<std::string> errors;
    const auto outcomes = append_at_both(*a, *b, shared_subject_decisions(8, 25), errors);
    CHECK(errors.empty());
    CAPTURE(errors.size() > 0 ? errors.front() : std::string());
    const std::int64_t total = 8 * 25;
    REQUIRE(static_cast<std::int64_t>(outcomes.size()) == total);
    std::set<std::int64_t> indexes;
    for (const auto& o : outcomes) indexes.insert(o.receipt.log_index);
    CHECK(static_cast<std::int64_t>(indexes.size()) == total);
    CHECK(*indexes.rbegin() == total - 1);  // 0 … total-1: one gapless log
    CHECK(read_ok(a->receipt_count()) == total);
    // Every checkpoint either replica handed out is a root of the one stored
    // tree: each is consistent with the latest, by a proof from either store.
    const Checkpoint latest = read_ok(b->latest_checkpoint());
    CHECK(latest.tree_size == total);
    for (const auto& o : outcomes) {
        check_outcome_checkpoint(*a, o);
        const auto proof = read_ok(b->consistency_proof(o.checkpoint.tree_size, latest.tree_size));
        CHECK(consent::merkle::verify_consistency(static_cast<std::uint64_t>(o.checkpoint.tree_size),
                                                  static_cast<std::uint64_t>(latest.tree_size),
                                                  bytes_of(o.checkpoint.root), bytes_of(latest.root), bytes_of(proof))
                  .ok());
    }
    // Each subject's chain crosses replicas and is whole: the audit walks it.
    CHECK(a->rebuild_check().ok());
}

TEST_CASE("postgresql: a decision retried at the other replica gets the same receipt",
          "[server][storage][postgresql]") {
    PgHarness h;
    auto a = h.open();
    auto b = h.open();
    setup_site(*a, kShop);
    const auto first = append_ok(*a, request(kShop, grant_all("decision-1", "subj-a")));
    AppendRequest retry = request(kShop, grant_all("decision-1", "subj-a"));
    retry.receipt_id = "rcpt_made_by_the_other_replica";
    const auto again = append_ok(*b, std::move(retry));
    CHECK(again.replayed);
    CHECK(again.receipt.receipt_id == first.receipt.receipt_id);
    CHECK(again.receipt.jws == first.receipt.jws);
    // b's log had not moved in its memory: its next receipt still lands at the end, chained to a's.
    const auto next = append_ok(*b, request(kShop, grant_all("decision-2", "subj-a")));
    CHECK(next.receipt.log_index == 1);
    CHECK(payload_of(next.receipt)["prev"] == hash_of(first.receipt.jws));
    check_error(b->append(request(kShop, decide("decision-1", "subj-a", Method::reject_all))), "decision.id_conflict");
    CHECK(a->rebuild_check().ok());
}

TEST_CASE("postgresql: one decision sent to both replicas at once is recorded once and both answer its receipt",
          "[server][storage][postgresql][concurrency]") {
    PgHarness h;
    auto a = h.open();
    auto b = h.open();
    setup_site(*a, kShop);
    std::vector<Decision> decisions;
    for (int i = 0; i < 20; ++i)
        decisions.push_back(grant_all("decision-raced-" + std::to_string(i), "subject-" + std::to_string(i % 3)));
    std::vector<std::string> errors;
    std::vector<std::pair<AppendOutcome, AppendOutcome>> answers(decisions.size());
    std::mutex mutex;
    const auto send = [&](PgStore& store, std::size_t i, AppendOutcome& into) {
        auto outcome = store.append(request(kShop, decisions[i]));
        std::lock_guard<std::mutex> lock(mutex);
        if (outcome) into = outcome.value();
        else errors.push_back(outcome.error().code + ": " + outcome.error().message);
    };
    std::thread at_a([&] {
        for (std::size_t i = 0; i < decisions.size(); ++i) send(*a, i, answers[i].first);
    });
    std::thread at_b([&] {
        for (std::size_t i = 0; i < decisions.size(); ++i) send(*b, i, answers[i].second);
    });
    at_a.join();
    at_b.join();
    REQUIRE(errors.empty());
    for (const auto& [first, second] : answers) {
        CHECK(first.receipt.receipt_id == second.receipt.receipt_id);
        CHECK(first.receipt.jws == second.receipt.jws);
        CHECK(first.replayed != second.replayed);  // one recorded it, the other answered the replay
    }
    CHECK(read_ok(a->receipt_count()) == static_cast<std::int64_t>(decisions.size()));
    CHECK(a->rebuild_check().ok());
}
