// The PostgreSQL store's foundations against a real server (the throwaway
// cluster of pg_cluster.sh, started by the ctest fixture): the schema's
// append-only rules hold for any connection, replicas opening at once create
// it once, and the Merkle reads answer for the empty log. Each test gets a
// database of its own.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consent/log/merkle.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "pg_test_database.hpp"
#include "storage/pg_connection.hpp"
#include "storage/pg_listener.hpp"
#include "storage/pg_merkle.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_schema.hpp"

namespace {

namespace pg = consent::server::pg;
using consent::test::TestDatabase;

void insert_site_and_receipt(pg::Connection& c, std::int64_t index) {
    REQUIRE(c.run("INSERT INTO sites (site_id, allowed_origins, created_at) VALUES ('shop', '[]', 1) "
                  "ON CONFLICT DO NOTHING")
                .ok());
    const std::string i = std::to_string(index);
    auto inserted = c.run(
        "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
        "method, prev_hash, decision) VALUES ($1, $2, 'shop', 'subj', $3, 1, 'jws', '{}', 'accept_all', '', '{}')",
        {pg::param(index), pg::param("r" + i), pg::param("decision-" + i)});
    if (!inserted) FAIL(inserted.error().message);
}

}  // namespace

TEST_CASE("postgresql: the schema is created once and a second open accepts it", "[server][storage][postgresql]") {
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(pg::migrate_schema(*c).ok());
    REQUIRE(pg::migrate_schema(*c).ok());
    auto version = c->query("SELECT version FROM schema_version");
    REQUIRE(version.ok());
    CHECK(version->int64(0, 0) == pg::kSchemaVersion);
}

TEST_CASE("postgresql: replicas opening one empty database at once create the schema exactly once",
          "[server][storage][postgresql][concurrency]") {
    TestDatabase db;
    std::vector<std::string> errors(4);
    std::vector<std::thread> replicas;
    for (std::size_t i = 0; i < errors.size(); ++i)
        replicas.emplace_back([&, i] {
            auto c = pg::Connection::open(db.url());
            if (!c) return void(errors[i] = c.error().message);
            auto migrated = pg::migrate_schema(*c.value());
            if (!migrated) errors[i] = migrated.error().code + ": " + migrated.error().message;
        });
    for (auto& t : replicas) t.join();
    for (const auto& e : errors) CHECK(e.empty());
    auto c = db.connect();
    CHECK(c->query("SELECT COUNT(*) FROM schema_version")->int64(0, 0) == 1);
}

TEST_CASE("postgresql: a database with tables of another application is refused", "[server][storage][postgresql]") {
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(c->exec_script("CREATE TABLE customers (id INTEGER)").ok());
    auto migrated = pg::migrate_schema(*c);
    REQUIRE_FALSE(migrated.ok());
    CHECK(migrated.error().code == "storage.schema_version");
}

TEST_CASE("postgresql: no connection can update, delete, truncate or misplace a receipt",
          "[server][storage][postgresql]") {
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(pg::migrate_schema(*c).ok());
    insert_site_and_receipt(*c, 0);
    insert_site_and_receipt(*c, 1);
    REQUIRE(c->exec_script("INSERT INTO merkle_nodes (level, idx, hash) VALUES (0, 0, decode(repeat('00', 32), 'hex'))")
                .ok());
    REQUIRE(c->exec_script("INSERT INTO checkpoints (tree_size, root, timestamp, note) VALUES "
                           "(1, decode(repeat('00', 32), 'hex'), 1, 'note')")
                .ok());
    for (const char* sql :
         {"UPDATE receipts SET method = 'reject_all'", "DELETE FROM receipts", "TRUNCATE receipts CASCADE",
          "UPDATE merkle_nodes SET idx = 1", "TRUNCATE checkpoints", "DELETE FROM checkpoints",
          // a parent before its right child exists: an incomplete subtree
          "INSERT INTO merkle_nodes (level, idx, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'))",
          // a checkpoint of a tree larger than the log
          "INSERT INTO checkpoints (tree_size, root, timestamp, note) VALUES "
          "(3, decode(repeat('00', 32), 'hex'), 1, 'note')"}) {
        CAPTURE(sql);
        auto refused = c->exec_script(sql);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == "storage.pg_error");
        CHECK(refused.error().message.find("append-only") != std::string::npos);
    }
    // A gap or a second receipt at a taken index is refused too.
    auto gap = c->run(
        "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
        "method, prev_hash, decision) VALUES (5, 'r5', 'shop', 'subj', 'decision-5', 1, 'jws', '{}', 'accept_all', "
        "'', '{}')");
    REQUIRE_FALSE(gap.ok());
    CHECK(gap.error().message.find("end of the log") != std::string::npos);
    CHECK(c->query("SELECT COUNT(*) FROM receipts")->int64(0, 0) == 2);
}

TEST_CASE("postgresql: a reused decision id is told apart as a unique violation", "[server][storage][postgresql]") {
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(pg::migrate_schema(*c).ok());
    insert_site_and_receipt(*c, 0);
    auto again = c->run(
        "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
        "method, prev_hash, decision) VALUES (1, 'r1', 'shop', 'subj', 'decision-0', 1, 'jws', '{}', 'accept_all', "
        "'', '{}')");
    REQUIRE_FALSE(again.ok());
    CHECK(pg::is_unique_violation(again.error()));
}

TEST_CASE("postgresql: the empty log has the empty root and refuses proofs beyond it",
          "[server][storage][postgresql][merkle]") {
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(pg::migrate_schema(*c).ok());
    CHECK(*pg::log_size(*c) == 0);
    auto root = pg::root_at(*c, 0);
    REQUIRE(root.ok());
    CHECK(*root == consent::merkle::empty_root());
    auto beyond = pg::inclusion_proof(*c, 0, 1);
    REQUIRE_FALSE(beyond.ok());
    CHECK(beyond.error().code == "storage.bad_proof_request");
    auto frontier = pg::load_frontier(*c, 0);
    REQUIRE(frontier.ok());
    CHECK(frontier->size() == 0);
}

TEST_CASE("postgresql: a server that cannot be reached is a retryable storage.unavailable",
          "[server][storage][postgresql]") {
    // Port 1 on loopback: nothing listens there.
    auto c = pg::Connection::open("postgresql://consent@127.0.0.1:1/postgres?connect_timeout=2");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == "storage.unavailable");
}

namespace {

// n receipts with their Merkle nodes written as the writer will write them
// (each leaf's completed nodes from merkle::Frontier, children first), and
// log_state's size moved along; returns the leaf hashes.
std::vector<consent::merkle::Hash> write_log(pg::Connection& c, int n) {
    consent::merkle::Frontier tree;
    std::vector<consent::merkle::Hash> leaves;
    for (int i = 0; i < n; ++i) {
        insert_site_and_receipt(c, i);
        leaves.push_back(consent::merkle::leaf_hash("receipt " + std::to_string(i)));
        for (const auto& node : tree.append(leaves.back())) {
            auto inserted = c.run(
                "INSERT INTO merkle_nodes (level, idx, hash) VALUES ($1, $2, $3)",
                {pg::param(static_cast<std::int64_t>(node.level)), pg::param(static_cast<std::int64_t>(node.index)),
                 pg::bytea(node.hash.data(), node.hash.size())});
            if (!inserted) FAIL(inserted.error().message);
        }
    }
    REQUIRE(c.run("UPDATE log_state SET size = $1", {pg::param(static_cast<std::int64_t>(n))}).ok());
    return leaves;
}

}  // namespace

TEST_CASE("postgresql: every root, proof and right edge read from stored nodes equals the core's",
          "[server][storage][postgresql][merkle]") {
    const int n = GENERATE(1, 2, 3, 7, 8, 9, 31, 33);
    CAPTURE(n);
    TestDatabase db;
    auto c = db.connect();
    REQUIRE(pg::migrate_schema(*c).ok());
    const auto leaves = write_log(*c, n);
    for (int size = 1; size <= n; ++size) {
        CAPTURE(size);
        const std::vector<consent::merkle::Hash> prefix(leaves.begin(), leaves.begin() + size);
        CHECK(*pg::root_at(*c, size) == consent::merkle::root_from_leaf_hashes(prefix));
        auto frontier = pg::load_frontier(*c, size);
        REQUIRE(frontier.ok());
        CHECK(frontier->root() == consent::merkle::root_from_leaf_hashes(prefix));
        for (int i = 0; i < size; ++i) {
            CAPTURE(i);
            CHECK(*pg::inclusion_proof(*c, i, size) ==
                  *consent::merkle::inclusion_proof(prefix, static_cast<std::uint64_t>(i)));
            CHECK(*pg::consistency_proof(*c, i + 1, size) ==
                  *consent::merkle::consistency_proof(prefix, static_cast<std::uint64_t>(i + 1)));
        }
    }
}

TEST_CASE("postgresql: a pooled connection the server dropped is a 503 once, then the pool connects again",
          "[server][storage][postgresql]") {
    TestDatabase db;
    pg::Pool pool(db.url(), 4);
    std::string backend_pid;
    {
        auto lease = pool.acquire();
        REQUIRE(lease.ok());
        backend_pid = (*lease)->query("SELECT pg_backend_pid()")->text(0, 0);
    }
    // What a server restart does to every session: terminated from the server's side.
    auto killer = db.connect();
    REQUIRE(killer->run("SELECT pg_terminate_backend($1::integer)", {pg::param(backend_pid)}).ok());
    auto lost = pg::query(pool, "SELECT 1");
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().code == "storage.unavailable");
    auto again = pg::query(pool, "SELECT pg_backend_pid()");
    REQUIRE(again.ok());
    CHECK(again->text(0, 0) != backend_pid);
}

namespace {

// Waits (bounded, by events, not by a wall-clock assertion) until pred holds.
template <class Pred>
bool eventually(Pred pred) {
    for (int i = 0; i < 500 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return pred();
}

}  // namespace

TEST_CASE("postgresql: a receipt notified at commit reaches the listener, and a dropped session is opened again",
          "[server][storage][postgresql]") {
    TestDatabase db;
    std::mutex mutex;
    std::vector<std::pair<std::string, std::int64_t>> got;
    std::atomic<int> reconnects{0};
    pg::Listener listener(
        db.url(),
        [&](const std::string& site, std::int64_t index) {
            std::lock_guard<std::mutex> lock(mutex);
            got.emplace_back(site, index);
        },
        [&] { ++reconnects; }, 50);
    REQUIRE(eventually([&] { return listener.sessions() == 1; }));
    auto writer = db.connect();
    // Inside a transaction, as the writer sends it: nothing arrives before COMMIT.
    REQUIRE(writer->exec_script("BEGIN; SELECT pg_notify('consent_receipts', '41 shop')").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    {
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(got.empty());
    }
    REQUIRE(writer->exec_script("COMMIT").ok());
    REQUIRE(eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return got.size() == 1;
    }));
    CHECK(got.front() == std::make_pair(std::string("shop"), std::int64_t{41}));
    // The listening session terminated from the server's side, as a restart does.
    REQUIRE(writer
                ->exec_script("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE query LIKE 'LISTEN%' AND datname = current_database()")
                .ok());
    REQUIRE(eventually([&] { return listener.sessions() == 2 && reconnects == 1; }));
    REQUIRE(writer->exec_script("SELECT pg_notify('consent_receipts', '42 blog')").ok());
    REQUIRE(eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return got.size() == 2;
    }));
    CHECK(got.back() == std::make_pair(std::string("blog"), std::int64_t{42}));
}
