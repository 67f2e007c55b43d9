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
#include "schema_undo.hpp"
#include "storage/pg_schema.hpp"
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

    // psql's view of the database (the test cluster's user is its superuser);
    // unguarded runs with session_replication_role = replica, which fires no
    // trigger: neither the append-only guards nor the foreign keys.
    RawDatabase raw() const {
        const auto exec = [url = db.url()](const std::string& prefix, const std::string& sql) -> std::string {
            auto c = consent::server::pg::Connection::open(url);
            if (!c) return c.error().message;
            auto done = c.value()->exec_script(prefix + sql);
            return done ? std::string() : done.error().message;
        };
        return RawDatabase{
            [exec](const std::string& sql) { return exec("", sql); },
            [exec](const std::string& sql) { return exec("SET session_replication_role = replica; ", sql); }};
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

namespace {

constexpr const char* kErasedSubject = "subj-erase-me-7f3a";

// Which row versions of the touched tables (heap and TOAST: live and dead
// tuples alike) and which entries of their indexes hold the text's bytes, as
// pageinspect reads them from the pages. (A page's free space, which held a
// removed tuple, is not read: VACUUM leaves its bytes there, docs/erasure.md.)
std::vector<std::string> tuples_holding(consent::server::pg::Connection& c, const std::string& text) {
    auto rows = c.query(
        "WITH tables AS (SELECT oid, reltoastrelid FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "  AND relname IN ('receipts', 'current_state', 'acknowledgements')), "
        "heaps AS (SELECT oid::regclass::text AS rel FROM tables "
        "  UNION SELECT reltoastrelid::regclass::text FROM tables WHERE reltoastrelid <> 0), "
        "indexes AS (SELECT indexrelid::regclass::text AS rel FROM pg_index WHERE indrelid IN (SELECT oid FROM "
        "tables)), "
        "pages AS (SELECT rel, b FROM heaps, LATERAL generate_series(0, "
        "  (pg_relation_size(rel::regclass) / current_setting('block_size')::bigint)::integer - 1) AS b), "
        "index_pages AS (SELECT rel, b FROM indexes, LATERAL generate_series(1, "
        "  (pg_relation_size(rel::regclass) / current_setting('block_size')::bigint)::integer - 1) AS b) "
        "SELECT rel || ' page ' || b || ' tuple ' || t.lp FROM pages, LATERAL heap_page_items(get_raw_page(rel, b)) AS "
        "t "
        "WHERE t.t_data IS NOT NULL AND position(convert_to($1, 'UTF8') IN t.t_data) > 0 "
        "UNION ALL SELECT rel || ' page ' || b || ' item ' || i.itemoffset FROM index_pages, "
        "LATERAL bt_page_items(get_raw_page(rel, b)) AS i "
        "WHERE position(convert_to($1, 'UTF8') IN decode(replace(i.data, ' ', ''), 'hex')) > 0",
        {consent::server::pg::param(text)});
    if (!rows) FAIL(rows.error().message);
    std::vector<std::string> out;
    for (int r = 0; r < rows->size(); ++r) out.push_back(rows->text(r, 0));
    return out;
}

}  // namespace

TEST_CASE("postgresql: after an erasure no row version of the touched tables and no index entry holds the subject",
          "[server][storage][postgresql][erasure]") {
    PgHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-erase-me-1", kErasedSubject)));
    const auto withdrawal =
        append_ok(*store, request(kShop, decide("decision-erase-me-2", kErasedSubject, Method::withdraw)));
    append_ok(*store, request(kShop, grant_all("decision-kept-1", "subj-kept-4c1d")));
    read_ok(store->acknowledge(
        consent::server::AcknowledgementRequest{kShop, "newsletter", "key_1", {withdrawal.receipt.receipt_id}, kNow}));
    auto raw = h.db.connect();
    REQUIRE(raw->exec_script("CREATE EXTENSION IF NOT EXISTS pageinspect").ok());
    CHECK_FALSE(tuples_holding(*raw, kErasedSubject).empty());  // the search finds what is there
    CHECK_FALSE(tuples_holding(*raw, "subj-kept-4c1d").empty());

    const auto erased = store->erase(erasure_request(*store, kShop, kErasedSubject, "era_pages_1"));
    REQUIRE(erased.ok());
    for (const char* gone : {kErasedSubject, "decision-erase-me-1", "decision-erase-me-2"}) {
        CAPTURE(gone);
        CHECK(tuples_holding(*raw, gone) == std::vector<std::string>{});
    }
    CHECK(tuples_holding(*raw, withdrawal.receipt.receipt_id) == std::vector<std::string>{});
    CHECK_FALSE(tuples_holding(*raw, "subj-kept-4c1d").empty());
    read_ok(store->rebuild_check());
}

TEST_CASE("postgresql: a version 1 database is migrated to version 2 and can erase",
          "[server][storage][postgresql][erasure]") {
    PgHarness h;
    {
        auto store = h.open();
        setup_site(*store, kShop);
        append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
        append_ok(*store, request(kShop, grant_all("decision-era-2", "subj-b")));
    }
    auto raw = h.db.connect();
    REQUIRE(raw->exec_script(consent::test::kUndoPgSchemaV2).ok());
    REQUIRE(raw->query("SELECT version FROM schema_version")->int64(0, 0) == 1);
    // Version 1's guard refuses any UPDATE, the erased form too.
    CHECK_FALSE(raw->exec_script("UPDATE receipts SET subject_id = '' WHERE log_index = 0").ok());

    auto store = h.open();
    CHECK(raw->query("SELECT version FROM schema_version")->int64(0, 0) == consent::server::pg::kSchemaVersion);
    CHECK(raw->query("SELECT COUNT(*) FROM schema_version")->int64(0, 0) == 1);
    CHECK(read_ok(store->receipt_count()) == 2);
    read_ok(store->rebuild_check());
    CHECK(read_ok(store->retention_policies()).empty());
    const auto erased = store->erase(erasure_request(*store, kShop, "subj-a", "era_migrated_1"));
    REQUIRE(erased.ok());
    CHECK(read_ok(store->subject_receipts(kShop, "subj-a")).empty());
    CHECK(indexes_of(read_ok(store->subject_erasures(kShop, tag_of("subj-a")))) == std::vector<std::int64_t>{2});
    read_ok(store->rebuild_check());
    // The guards of version 2 are in force.
    auto refused = raw->exec_script("DELETE FROM erasures");
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("append-only"));
}
