// The SQLite store: the ReceiptStore conformance suite (store_conformance.hpp)
// over a real file, and the tests that need the file itself (a raw SQLite
// connection, commit counts, schema versions).
#include <catch2/catch.hpp>

#include "schema_undo.hpp"
#include "store_reads.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "fixtures.hpp"
#include "server_fixture.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_wal_checkpointer.hpp"
#include "store_conformance.hpp"
#include "store_conformance_cases.hpp"

namespace {

using namespace consent::test::store;  // NOLINT: the suite's inputs and checks
using consent::server::SqliteStore;
using consent::test::kNow;

using consent::test::TempDir;  // a fresh directory per test, removed afterwards (server_fixture.hpp)

// sqlite3_exec on a connection of its own: "" on success, else SQLite's message.
std::string exec_on_file(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return "cannot open " + path;
    }
    sqlite3_busy_timeout(db, 5000);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string out = rc == SQLITE_OK ? "" : (message != nullptr ? message : "error");
    sqlite3_free(message);
    sqlite3_close(db);
    return out;
}

class SqliteHarness {
public:
    // The sqlite3 shell's view of the file; unguarded drops the append-only
    // triggers of receipts and acknowledgements first (the next open of the
    // store does not bring them back: its file already has version 5).
    RawDatabase raw() const {
        const std::string path = db_path();
        return RawDatabase{[path](const std::string& sql) { return exec_on_file(path, sql); },
                           [path](const std::string& sql) {
                               return exec_on_file(path,
                                                   "DROP TRIGGER IF EXISTS receipts_no_update; "
                                                   "DROP TRIGGER IF EXISTS receipts_no_delete; "
                                                   "DROP TRIGGER IF EXISTS acknowledgements_no_delete; " +
                                                       sql);
                           }};
    }

    std::string db_path() const { return (dir_.path() / "consent.db").string(); }

    Result<std::unique_ptr<SqliteStore>> try_open() {
        return SqliteStore::open(
            db_path(), [this] { return now.load(); }, options);
    }

    std::unique_ptr<SqliteStore> open() {
        auto store = try_open();
        if (!store) FAIL(store.error().code << ": " << store.error().message);
        return std::move(store).value();
    }

    StoreFactory factory() {
        return [this] { return std::unique_ptr<ReceiptStore>(open()); };
    }

    std::atomic<std::int64_t> now{kNow};  // the injected server clock
    consent::server::SqliteOptions options;

private:
    TempDir dir_;
};

// A second, plain connection to the same file: what an operator with the
// sqlite3 shell could do.
class RawConnection {
public:
    explicit RawConnection(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
            const std::string message = sqlite3_errmsg(db_);
            sqlite3_close(db_);  // the destructor does not run when the constructor fails
            FAIL("cannot open " << path << ": " << message);
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    ~RawConnection() { sqlite3_close(db_); }

    // "" on success, else SQLite's message.
    std::string exec(const std::string& sql) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        std::string out = rc == SQLITE_OK ? "" : (message != nullptr ? message : "error");
        sqlite3_free(message);
        return out;
    }

    // Column `index` of every row, as text.
    std::vector<std::string> column(const std::string& sql, int index = 0) {
        std::pair<int, std::vector<std::string>> out{index, {}};
        const auto collect = [](void* target, int count, char** values, char**) {
            auto& [wanted, rows] = *static_cast<std::pair<int, std::vector<std::string>>*>(target);
            rows.push_back(wanted < count && values[wanted] != nullptr ? values[wanted] : "");
            return 0;
        };
        if (sqlite3_exec(db_, sql.c_str(), collect, &out, nullptr) != SQLITE_OK) FAIL(sqlite3_errmsg(db_));
        return out.second;
    }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace

CONSENT_STORE_CONFORMANCE_CASES("sqlite: ", "[server][storage][sqlite]", SqliteHarness)

namespace {

TEST_CASE("sqlite: 64 threads appending at once share commits and leave a gapless log",
          "[server][storage][sqlite][concurrency]") {
    SqliteHarness h;
    RecordingSigner signer;
    auto store = h.open();
    store->set_checkpoint_signer(signer.function());
    const std::int64_t appends = conformance::concurrent_appends(*store, 64, 50);
    CAPTURE(appends, store->commit_count());
    CHECK(store->commit_count() < appends);
    // One checkpoint per commit, the last one over the whole log.
    CHECK(static_cast<std::int64_t>(signer.calls().size()) == store->commit_count());
    REQUIRE(store->latest_checkpoint().ok());
    CHECK(store->latest_checkpoint()->tree_size == appends);
}

// The log writer's commits leave the copying of the WAL into the database
// file to a thread of its own (issue #11): the receipts reach the file while
// appends go on, and the WAL does not grow without bound.
TEST_CASE("sqlite: the WAL is copied into the file beside the appends and stays bounded",
          "[server][storage][sqlite][concurrency]") {
    SqliteHarness h;
    auto store = h.open();
    const auto file_size = [](const std::string& path) {
        std::error_code ignored;
        const auto size = std::filesystem::file_size(path, ignored);
        return ignored ? std::uintmax_t{0} : size;
    };
    const std::uintmax_t empty_file = file_size(h.db_path());
    // Enough receipts for several times the checkpoint threshold of frames.
    const std::int64_t appends = conformance::concurrent_appends(*store, 16, 400);
    REQUIRE(appends == 6400);
    // Without a checkpoint the file would still be the empty schema.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (file_size(h.db_path()) < empty_file + 4 * 1024 * 1024 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(file_size(h.db_path()) >= empty_file + 4 * 1024 * 1024);
    const std::uintmax_t wal_bound = std::uintmax_t{consent::server::sqlite::WalCheckpointer::kLimit} * (4096 + 24);
    CHECK(file_size(h.db_path() + "-wal") <= wal_bound);
    // Every receipt is there for a connection that reads the file.
    RawConnection raw(h.db_path());
    CHECK(raw.column("SELECT COUNT(*) FROM receipts") == std::vector<std::string>{"6400"});
}

TEST_CASE("sqlite: past the WAL's limit the writer checkpoints itself", "[server][storage][sqlite]") {
    using consent::server::sqlite::WalCheckpointer;
    SqliteHarness h;
    auto store = h.open();  // the file must exist
    auto checkpointer = WalCheckpointer::start(h.db_path(), 1000);
    REQUIRE(checkpointer.ok());
    CHECK_FALSE((*checkpointer)->writer_checkpoints_now(WalCheckpointer::kThreshold - 1));
    CHECK_FALSE((*checkpointer)->writer_checkpoints_now(WalCheckpointer::kThreshold));
    CHECK((*checkpointer)->writer_checkpoints_now(WalCheckpointer::kLimit));
    // A reader kept the writer's checkpoint from finishing: not tried again at
    // every commit (each would wait for the reader), but after a quarter of
    // the restart threshold more frames.
    (*checkpointer)->writer_checkpointed(false);
    CHECK_FALSE((*checkpointer)->writer_checkpoints_now(WalCheckpointer::kLimit + 10));
    CHECK((*checkpointer)->writer_checkpoints_now(WalCheckpointer::kLimit + WalCheckpointer::kRestartAt / 4));
}

// A background round alone never copies a WAL that grows while it copies,
// and SQLite starts the WAL again only in a write transaction that began with
// all of it copied: the writer copies the rest between two commits, so a
// steady stream of commits (and a reader that never stops) still lets the
// WAL start again from its beginning instead of growing to its limit.
TEST_CASE("sqlite: under commits that never pause, the WAL still starts again from its beginning",
          "[server][storage][sqlite][concurrency]") {
    namespace sq = consent::server::sqlite;
    SqliteHarness h;
    const std::string path = h.db_path() + ".steady";
    auto writer = sq::Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    REQUIRE(writer.ok());
    sq::Connection& w = *writer.value();
    REQUIRE(sq::configure_connection(w, sq::Role::writer, 5000).ok());
    REQUIRE(w.exec("CREATE TABLE t (x BLOB NOT NULL)").ok());
    auto started = sq::WalCheckpointer::start(path, 5000, 64, 256);
    REQUIRE(started.ok());
    sq::WalCheckpointer& checkpointer = *started.value();
    w.on_wal_commit([&](int frames) {
        if (checkpointer.writer_checkpoints_now(frames))
            checkpointer.writer_checkpointed(w.checkpoint_restart(sq::WalCheckpointer::kRestartWaitMs, 5000).ok());
    });
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    std::thread reader([&] {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
            sqlite3_busy_timeout(db, 5000);
            while (!stop.load())
                if (sqlite3_exec(db, "SELECT COUNT(*) FROM t", nullptr, nullptr, nullptr) == SQLITE_OK) ++reads;
        }
        sqlite3_close(db);
    });
    // About three frames a commit (a row with two overflow pages): some 6,000 frames in all.
    for (int i = 0; i < 2000; ++i) REQUIRE(w.exec("INSERT INTO t VALUES (randomblob(6000))").ok());
    stop = true;
    reader.join();
    const auto stats = checkpointer.stats();
    CAPTURE(stats.background_rounds, stats.writer_rounds, stats.restarts, stats.longest, reads.load());
    CHECK(reads.load() > 0);
    CHECK(stats.writer_rounds > 0);
    // How often a finish finds the reader still in the WAL depends on the
    // machine (under ThreadSanitizer most do, and the WAL grew to 5,000 of the
    // 6,000 frames once): that it starts again at all is the property.
    CHECK(stats.restarts > 0);
    CHECK(stats.longest < sq::WalCheckpointer::kLimit);
}

TEST_CASE("sqlite: no connection can update or delete or replace a receipt", "[server][storage][sqlite]") {
    SqliteHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    const auto first = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a"))).receipt;
    append_ok(*store, request(kShop, grant_all("decision-2", "subj-b")));
    RawConnection raw(h.db_path());
    const std::string refused = "receipts are append-only";
    CHECK(raw.exec("UPDATE receipts SET jws = 'forged' WHERE log_index = 0") == refused);
    CHECK(raw.exec("DELETE FROM receipts WHERE log_index = 0") == refused);
    CHECK(raw.exec("DELETE FROM receipts") == refused);
    // REPLACE deletes the older row without firing DELETE triggers: the INSERT trigger stops it.
    CHECK(raw.exec("INSERT OR REPLACE INTO receipts SELECT 2, receipt_id, site_id, subject_id, 'decision-9', "
                   "server_time, 'forged', payload, method, prev_hash, decision FROM receipts WHERE log_index = 0") ==
          refused);
    CHECK(raw.exec("INSERT OR REPLACE INTO receipts SELECT log_index, 'rcpt_new', site_id, subject_id, decision_id, "
                   "server_time, 'forged', payload, method, prev_hash, decision FROM receipts WHERE log_index = 0") ==
          refused);
    // A row beyond the end would leave a gap in the log.
    CHECK(raw.exec("INSERT INTO receipts SELECT 7, 'rcpt_gap', site_id, subject_id, 'decision-gap', server_time, "
                   "jws, payload, method, prev_hash, decision FROM receipts WHERE log_index = 0") == refused);
    CHECK(*store->receipt_count() == 2);
    CHECK(consent::test::read_ok(store->subject_receipts(kShop, "subj-a")).front().jws == first.jws);
    CHECK(store->rebuild_check().ok());
}

TEST_CASE("sqlite: rebuild_check names the subject whose current state was tampered with",
          "[server][storage][sqlite]") {
    SqliteHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw, {}, {"marketing"})));
    REQUIRE(store->rebuild_check().ok());
    RawConnection raw(h.db_path());

    SECTION("a withdrawn purpose turned back into a grant") {
        REQUIRE(raw.exec("UPDATE current_state SET state = 'granted' WHERE purpose = 'marketing'").empty());
    }
    SECTION("a state row removed") {
        REQUIRE(raw.exec("DELETE FROM current_state WHERE purpose = 'marketing'").empty());
    }
    SECTION("a state row without any receipt") {
        REQUIRE(raw.exec("INSERT INTO current_state SELECT site_id, 'subj-ghost', purpose, state, method, notice_id, "
                         "notice_version, decided_at, receipt_id FROM current_state WHERE purpose = 'marketing'")
                    .empty());
    }
    const auto status = store->rebuild_check();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "storage.state_mismatch");
    CHECK_THAT(status.error().message, Catch::Contains("site 'shop'") && Catch::Contains("purpose 'marketing'"));
}

TEST_CASE("sqlite: no connection can update or delete or replace a Merkle node or a checkpoint",
          "[server][storage][sqlite][merkle]") {
    SqliteHarness h;
    RecordingSigner signer;
    auto store = h.open();
    store->set_checkpoint_signer(signer.function());
    setup_site(*store, kShop);
    for (int i = 0; i < 3; ++i) append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-a")));
    const auto root = ok_value(store->root_at(3));
    RawConnection raw_db(h.db_path());
    const std::string nodes = "the Merkle log is append-only";
    CHECK(raw_db.exec("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0") == nodes);
    CHECK(raw_db.exec("DELETE FROM merkle_nodes WHERE level = 1 AND idx = 0") == nodes);
    CHECK(raw_db.exec("DELETE FROM merkle_nodes") == nodes);
    // REPLACE would delete the stored node without firing the DELETE trigger.
    CHECK(raw_db.exec("INSERT OR REPLACE INTO merkle_nodes VALUES (0, 0, zeroblob(32))") == nodes);
    CHECK(raw_db.exec("INSERT INTO merkle_nodes VALUES (0, 3, zeroblob(32))") == nodes);  // no receipt 3
    CHECK(raw_db.exec("INSERT INTO merkle_nodes VALUES (1, 1, zeroblob(32))") == nodes);  // leaf 3 missing
    const std::string checkpoints = "checkpoints are append-only";
    CHECK(raw_db.exec("UPDATE checkpoints SET note = 'forged'") == checkpoints);
    CHECK(raw_db.exec("DELETE FROM checkpoints WHERE tree_size = 3") == checkpoints);
    CHECK(raw_db.exec("INSERT OR REPLACE INTO checkpoints SELECT tree_size, zeroblob(32), timestamp, note "
                      "FROM checkpoints WHERE tree_size = 3") == checkpoints);
    CHECK(raw_db.exec("INSERT INTO checkpoints SELECT 9, root, timestamp, note FROM checkpoints "
                      "WHERE tree_size = 3") == checkpoints);  // beyond the log
    CHECK(ok_value(store->root_at(3)) == root);
    CHECK(store->latest_checkpoint()->note == signer.calls().back().note);
    CHECK(store->rebuild_check().ok());
}

TEST_CASE("sqlite: rebuild_check names the Merkle node or checkpoint that was tampered with",
          "[server][storage][sqlite][merkle]") {
    SqliteHarness h;
    RecordingSigner signer;
    auto store = h.open();
    store->set_checkpoint_signer(signer.function());
    setup_site(*store, kShop);
    // Five leaves: nodes (1, 0), (1, 1) and (2, 0) above leaves 0-3, leaf 4 alone at the right edge.
    for (int i = 0; i < 5; ++i) append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-a")));
    REQUIRE(store->rebuild_check().ok());
    RawConnection raw_db(h.db_path());
    std::string where;
    std::string code = "storage.log_mismatch";

    SECTION("an interior node changed") {
        REQUIRE(raw_db.exec("DROP TRIGGER merkle_nodes_no_update").empty());
        REQUIRE(raw_db.exec("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 1").empty());
        where = "level 1, index 1";
    }
    SECTION("a leaf changed") {
        REQUIRE(raw_db.exec("DROP TRIGGER merkle_nodes_no_update").empty());
        REQUIRE(raw_db.exec("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 3").empty());
        where = "level 0, index 3";
    }
    SECTION("a receipt's JWS changed under its leaf") {
        REQUIRE(raw_db.exec("DROP TRIGGER receipts_no_update").empty());
        REQUIRE(raw_db.exec("UPDATE receipts SET jws = 'h.p.forged' WHERE log_index = 2").empty());
        // The row no longer matches its own columns: caught before the tree is walked.
        code = "storage.receipt_mismatch";
        where = "log index 2";
    }
    SECTION("an interior node removed") {
        REQUIRE(raw_db.exec("DROP TRIGGER merkle_nodes_no_delete").empty());
        REQUIRE(raw_db.exec("DELETE FROM merkle_nodes WHERE level = 1 AND idx = 0").empty());
        where = "level 1, index 0";
    }
    SECTION("the root of the largest complete subtree removed") {
        REQUIRE(raw_db.exec("DROP TRIGGER merkle_nodes_no_delete").empty());
        REQUIRE(raw_db.exec("DELETE FROM merkle_nodes WHERE level = 2 AND idx = 0").empty());
        where = "level 2, index 0";
    }
    SECTION("a node beyond the log added") {
        REQUIRE(raw_db.exec("DROP TRIGGER merkle_nodes_append_only").empty());
        REQUIRE(raw_db.exec("INSERT INTO merkle_nodes VALUES (1, 2, zeroblob(32))").empty());
        where = "level 1, index 2";
    }
    SECTION("a checkpoint's root changed") {
        REQUIRE(raw_db.exec("DROP TRIGGER checkpoints_no_update").empty());
        REQUIRE(raw_db.exec("UPDATE checkpoints SET root = zeroblob(32) WHERE tree_size = 3").empty());
        where = "checkpoint at tree size 3";
    }
    const auto status = store->rebuild_check();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == code);
    CHECK_THAT(status.error().message, Catch::Contains(where));
}

// The log's tiles (issue #11, merkle_tiles.hpp): 4,224 leaves hold 66 complete
// tiles at level 0 (64 leaves each) and one at level 1 (4,096 leaves).
std::vector<std::string> tile_rows(RawConnection& raw) {
    return raw.column("SELECT tile_level || ',' || tile_index FROM merkle_tiles ORDER BY tile_id");
}

// Grants from decisions first .. last - 1, one at a time (a commit each), for seven subjects.
void append_numbered(SqliteStore& store, int first, int last) {
    for (int i = first; i < last; ++i)
        append_ok(store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-" + std::to_string(i % 7))));
}

// The store's proofs and root at `size` against the core's over the same leaves.
void check_proofs_against_core(SqliteStore& store, const std::vector<consent::merkle::Hash>& leaves, std::size_t size,
                               std::initializer_list<std::size_t> indexes) {
    const std::vector<consent::merkle::Hash> prefix(leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(size));
    for (const std::size_t i : indexes) {
        if (i >= size) continue;
        CAPTURE(i, size);
        CHECK(ok_value(store.inclusion_proof(static_cast<std::int64_t>(i), static_cast<std::int64_t>(size))) ==
              consent::merkle::inclusion_proof(prefix, i).value());
    }
    for (const std::size_t m : {1u, 63u, 64u, 65u, 4095u, 4096u}) {
        if (m > size) continue;
        CAPTURE(m, size);
        CHECK(ok_value(store.consistency_proof(static_cast<std::int64_t>(m), static_cast<std::int64_t>(size))) ==
              consent::merkle::consistency_proof(prefix, m).value());
    }
    CHECK(ok_value(store.root_at(static_cast<std::int64_t>(size))) == consent::merkle::root_from_leaf_hashes(prefix));
}

TEST_CASE("sqlite: the log's complete tiles are stored as it grows, and its proofs read them",
          "[server][storage][sqlite][merkle]") {
    SqliteHarness h;
    auto store = h.open();
    REQUIRE(conformance::concurrent_appends(*store, 64, 66) == 4224);
    RawConnection raw(h.db_path());
    const auto rows = tile_rows(raw);
    REQUIRE(rows.size() == 67);
    CHECK(rows.front() == "0,0");
    CHECK(rows[65] == "0,65");
    CHECK(rows.back() == "1,0");
    const auto leaves = stored_leaf_hashes(*store, kShop);
    REQUIRE(leaves.size() == 4224);
    // Leaves inside complete tiles, at their edges, and on the incomplete right edge; old trees too.
    for (const std::size_t size : {4224u, 4200u, 4097u, 4096u, 200u, 64u, 63u})
        check_proofs_against_core(*store, leaves, size, {0, 1, 62, 63, 64, 65, 127, 4095, 4096, 4150, 4223});
}

// 200 leaves: tiles 0 to 2 of level 0 are complete, tile 3 is not.
TEST_CASE("sqlite: no connection can change a tile, and the audit names the one that was tampered with",
          "[server][storage][sqlite][merkle]") {
    SqliteHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    append_numbered(*store, 0, 200);
    const auto leaves = stored_leaf_hashes(*store, kShop);
    RawConnection raw(h.db_path());
    REQUIRE(tile_rows(raw) == std::vector<std::string>{"0,0", "0,1", "0,2"});
    const std::string refused = "the Merkle log is append-only";
    CHECK(raw.exec("UPDATE merkle_tiles SET hashes = zeroblob(4032) WHERE tile_id = 1") == refused);
    CHECK(raw.exec("DELETE FROM merkle_tiles WHERE tile_id = 1") == refused);
    CHECK(raw.exec("INSERT OR REPLACE INTO merkle_tiles VALUES (1, 0, 1, zeroblob(4032))") == refused);
    CHECK(raw.exec("INSERT INTO merkle_tiles VALUES (3, 0, 3, zeroblob(4032))") == refused);  // needs 256 leaves
    CHECK_THAT(raw.exec("INSERT INTO merkle_tiles VALUES (999, 0, 0, zeroblob(4032))"),
               Catch::Contains("CHECK constraint"));
    REQUIRE(store->rebuild_check().ok());

    std::string where;
    SECTION("a tile changed: the proofs through it change too") {
        // Leaf 64's hash is the first of tile (0, 1), and leaf 65's proof starts with it.
        REQUIRE(raw.exec("DROP TRIGGER merkle_tiles_no_update").empty());
        REQUIRE(raw.exec("UPDATE merkle_tiles SET hashes = (SELECT hashes FROM merkle_tiles WHERE tile_id = 2) "
                         "WHERE tile_id = 1")
                    .empty());
        CHECK(ok_value(store->inclusion_proof(65, 200)).front() == leaves[128]);
        where = "tile at level 0, index 1 differs from the nodes it repeats";
    }
    SECTION("a tile removed: a proof that needs it is an error, not a wrong answer") {
        REQUIRE(raw.exec("DROP TRIGGER merkle_tiles_no_delete").empty());
        REQUIRE(raw.exec("DELETE FROM merkle_tiles WHERE tile_id = 1").empty());
        const auto proof = store->inclusion_proof(70, 200);
        REQUIRE_FALSE(proof.ok());
        CHECK(proof.error().code == "storage.log_mismatch");
        where = "tile at level 0, index 1 is missing";
    }
    SECTION("a tile beyond the log added") {
        REQUIRE(raw.exec("DROP TRIGGER merkle_tiles_append_only").empty());
        REQUIRE(
            raw.exec("INSERT INTO merkle_tiles SELECT 3, 0, 3, hashes FROM merkle_tiles WHERE tile_id = 1").empty());
        where = "tile at level 0, index 3 is beyond the log";
    }
    const auto status = store->rebuild_check();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "storage.log_mismatch");
    CHECK_THAT(status.error().message, Catch::Contains(where));
}

TEST_CASE("sqlite: a version 5 file gets the tiles of the log it holds when it is migrated",
          "[server][storage][sqlite][merkle]") {
    SqliteHarness h;
    {
        auto store = h.open();
        setup_site(*store, kShop);
        append_numbered(*store, 0, 130);
    }
    {
        RawConnection raw(h.db_path());
        REQUIRE(raw.exec(std::string(consent::test::kUndoSchemaV6) + "UPDATE schema_version SET version = 5").empty());
    }
    auto store = h.open();
    RawConnection raw(h.db_path());
    CHECK(raw.column("SELECT version FROM schema_version") == std::vector<std::string>{"6"});
    CHECK(tile_rows(raw) == std::vector<std::string>{"0,0", "0,1"});
    CHECK(store->rebuild_check().ok());
    const auto leaves = stored_leaf_hashes(*store, kShop);
    check_proofs_against_core(*store, leaves, 130, {0, 63, 64, 100, 127, 128, 129});
    // And the log grows on from there: the next tile is written when it completes.
    append_numbered(*store, 130, 200);
    CHECK(tile_rows(raw) == std::vector<std::string>{"0,0", "0,1", "0,2"});
    CHECK(store->rebuild_check().ok());
}

// Issue #10 item 3: a byte changed in any column that repeats part of a
// receipt (denied -> granted in the payload, another method or decision id)
// used to pass the audit and move the opt-in statistics.
TEST_CASE("sqlite: rebuild_check names the receipt column that no longer says what its JWS says",
          "[server][storage][sqlite][audit]") {
    SqliteHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, decide("decision-0", "subj-a", Method::custom, {{"analytics", false}})));
    append_ok(*store, request(kShop, decide("decision-1", "subj-a", Method::custom, {{"analytics", true}})));
    append_ok(*store, request(kShop, decide("decision-2", "subj-b", Method::reject_all)));
    REQUIRE(store->rebuild_check().ok());
    RawConnection raw_db(h.db_path());
    REQUIRE(raw_db.exec("DROP TRIGGER receipts_no_update").empty());
    std::string column;
    SECTION("payload: denied becomes granted") {
        REQUIRE(raw_db
                    .exec("UPDATE receipts SET payload = replace(payload, '\"denied\"', '\"granted\"') "
                          "WHERE log_index = 0")
                    .empty());
        column = "payload";
    }
    SECTION("method") {
        REQUIRE(raw_db.exec("UPDATE receipts SET method = 'accept_all' WHERE log_index = 2").empty());
        column = "method";
    }
    SECTION("decision_id") {
        REQUIRE(raw_db.exec("UPDATE receipts SET decision_id = 'decision-9' WHERE log_index = 1").empty());
        column = "decision_id";
    }
    SECTION("subject_id") {
        REQUIRE(raw_db.exec("UPDATE receipts SET subject_id = 'subj-b' WHERE log_index = 1").empty());
        column = "subject_id";
    }
    SECTION("server_time") {
        REQUIRE(raw_db.exec("UPDATE receipts SET server_time = server_time + 1 WHERE log_index = 1").empty());
        column = "server_time";
    }
    SECTION("the recorded decision the state is rebuilt from") {
        REQUIRE(raw_db
                    .exec("UPDATE receipts SET decision = replace(decision, 'denied', 'granted') "
                          "WHERE log_index = 0")
                    .empty());
        column = "decision";
    }
    SECTION("the chain hash") {
        REQUIRE(raw_db.exec("UPDATE receipts SET prev_hash = '' WHERE log_index = 1").empty());
        column = "prev_hash";
    }
    const auto status = store->rebuild_check();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "storage.receipt_mismatch");
    CHECK_THAT(status.error().message, Catch::Contains("its " + column + " column"));
}

struct BatchRun {
    std::vector<std::optional<Result<AppendOutcome>>> outcomes;
    std::int64_t commits = 0;  // commits made meanwhile, the blocker's included
};

// Appends `requests` so that they land in one batch: a first append holds its
// own seal, and with it the log's next index, until `sealing` of them are
// signed and waiting behind it (the others fail or replay without an index).
BatchRun append_as_one_batch(SqliteStore& store, std::vector<AppendRequest> requests, std::size_t sealing) {
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::optional<Result<AppendOutcome>> blocked;
    const auto commits_before = store.commit_count();
    const Decision blocker_decision = grant_all("decision-blocker", "subj-blocker");
    const SealFunction seal = receipt_seal(kShop, blocker_decision);
    std::thread blocker([&] {
        blocked = store.append(request(kShop, blocker_decision, [&](const ReceiptSlot& slot) {
            entered.set_value();
            released.wait();
            return seal(slot);
        }));
    });
    entered.get_future().wait();
    BatchRun run;
    run.outcomes.resize(requests.size());
    std::vector<std::thread> others;
    for (std::size_t i = 0; i < requests.size(); ++i)
        others.emplace_back([&, i] { run.outcomes[i] = store.append(std::move(requests[i])); });
    // Every index but the blocker's is held by a signed receipt: nothing is sealing or failing any more.
    while (store.sealed_waiting() < sealing || store.queue_depth() != sealing + 1) std::this_thread::yield();
    release.set_value();
    blocker.join();
    for (auto& t : others) t.join();
    REQUIRE(blocked->ok());
    run.commits = store.commit_count() - commits_before;
    return run;
}

TEST_CASE("sqlite: a failing seal in a group commit does not stop the others of its batch",
          "[server][storage][sqlite][concurrency]") {
    SqliteHarness h;
    auto store = h.open();
    setup_site(*store, kShop);
    constexpr std::size_t kOthers = 8;
    constexpr std::size_t kFailing = 3;
    const SealFunction failing = [](const ReceiptSlot&) {
        return Result<SealedReceipt>(consent::make_error("keys.sign_failed", "no signer"));
    };
    std::vector<AppendRequest> requests;
    for (std::size_t i = 0; i < kOthers; ++i)
        requests.push_back(request(kShop,
                                   grant_all("decision-batch-" + std::to_string(i), "subj-" + std::to_string(i % 3)),
                                   i == kFailing ? failing : nullptr));
    const BatchRun run = append_as_one_batch(*store, std::move(requests), kOthers - 1);
    CHECK(run.commits == 1);  // the blocker and all the others in one
    std::vector<std::int64_t> indexes;
    for (std::size_t i = 0; i < kOthers; ++i) {
        CAPTURE(i);
        const auto& outcome = *run.outcomes[i];
        if (i == kFailing) {
            REQUIRE_FALSE(outcome.ok());
            CHECK(outcome.error().code == "keys.sign_failed");
            continue;
        }
        REQUIRE(outcome.ok());
        indexes.push_back(outcome.value().receipt.log_index);
    }
    std::sort(indexes.begin(), indexes.end());
    CHECK(indexes == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});  // the blocker took 0; no gap
    CHECK(*store->receipt_count() == kOthers);
    CHECK(store->rebuild_check().ok());
}

TEST_CASE("sqlite: the requests of one group commit share its one checkpoint",
          "[server][storage][sqlite][merkle][concurrency]") {
    SqliteHarness h;
    RecordingSigner signer;
    auto store = h.open();
    store->set_checkpoint_signer(signer.function());
    setup_site(*store, kShop);
    const auto first = append_ok(*store, request(kShop, grant_all("decision-first", "subj-first")));
    std::vector<AppendRequest> requests;
    for (int i = 0; i < 6; ++i)
        requests.push_back(
            request(kShop, grant_all("decision-batch-" + std::to_string(i), "subj-" + std::to_string(i))));
    requests.push_back(request(kShop, grant_all("decision-first", "subj-first")));  // a replay
    requests.push_back(request(kShop, grant_all("decision-batch-seal", "subj-x"), [](const ReceiptSlot&) {
        return Result<SealedReceipt>(consent::make_error("keys.sign_failed", "no signer"));
    }));
    const BatchRun run = append_as_one_batch(*store, std::move(requests), 6);
    REQUIRE(run.commits == 1);  // the blocker and the six new receipts in one
    const auto calls = signer.calls();
    REQUIRE(calls.size() == 2);      // first, the batch
    CHECK(calls[1].tree_size == 8);  // first, blocker and six new receipts
    for (std::size_t i = 0; i < 7; ++i) {
        CAPTURE(i);
        const auto& outcome = *run.outcomes[i];
        REQUIRE(outcome.ok());
        CHECK(outcome.value().replayed == (i == 6));
        // The replay holds no index: it is answered at once, with the checkpoint signed when its receipt was.
        CHECK(same_checkpoint(outcome.value().checkpoint, calls[i == 6 ? 0 : 1]));
        check_outcome_checkpoint(*store, outcome.value());
    }
    CHECK(run.outcomes[6]->value().receipt.log_index == first.receipt.log_index);
    check_error(*run.outcomes[7], "keys.sign_failed");
    CHECK(store->rebuild_check().ok());
}

TEST_CASE("sqlite: when the batch cannot commit no request of it is acknowledged", "[server][storage][sqlite]") {
    SqliteHarness h;
    h.options.busy_timeout_ms = 50;  // how long the writer waits for the lock held below
    auto store = h.open();
    setup_site(*store, kShop);
    RawConnection raw(h.db_path());
    REQUIRE(raw.exec("BEGIN IMMEDIATE").empty());  // another writer holds the file's write lock
    auto refused = store->append(request(kShop, grant_all("decision-1", "subj-a")));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "storage.unavailable");
    REQUIRE(raw.exec("ROLLBACK").empty());
    CHECK(*store->receipt_count() == 0);
    const auto retried = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK_FALSE(retried.replayed);
    CHECK(retried.receipt.log_index == 0);
}

TEST_CASE("sqlite: a file of another schema version is refused with a clear error", "[server][storage][sqlite]") {
    SqliteHarness h;
    {
        auto store = h.open();
        setup_site(*store, kShop);
    }
    {
        RawConnection raw(h.db_path());
        REQUIRE(raw.exec("UPDATE schema_version SET version = 99").empty());
    }
    auto reopened = h.try_open();
    REQUIRE_FALSE(reopened.ok());
    CHECK(reopened.error().code == "storage.schema_version");
    CHECK_THAT(reopened.error().message, Catch::Contains("99") && Catch::Contains("newer consentd"));
}

TEST_CASE("sqlite: a version 1 file is migrated to the current version and keeps its receipts and triggers",
          "[server][storage][sqlite]") {
    SqliteHarness h;
    {
        auto store = h.open();
        setup_site(*store, kShop);
        append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    }
    {
        // What version 1 wrote: no index by time, no acknowledgements, no backend on API keys.
        RawConnection raw(h.db_path());
        REQUIRE(
            raw.exec(std::string(consent::test::kUndoSchemaV6) + consent::test::kUndoSchemaV5 +
                     consent::test::kUndoSchemaV4 +
                     "DROP INDEX receipts_by_time; DROP TABLE acknowledgements; UPDATE schema_version SET version = 1")
                .empty());
    }
    {
        auto store = h.open();
        CHECK(*store->receipt_count() == 1);
        CHECK(ok_value(store->receipts_in_time(kShop, {kNow, -1}, kNow + 1, 10)).size() == 1);
    }
    RawConnection raw(h.db_path());
    CHECK(raw.column("SELECT version FROM schema_version") == std::vector<std::string>{"6"});
    CHECK(raw.column("SELECT name FROM pragma_table_info('api_keys') WHERE name = 'backend'").size() == 1);
    CHECK(raw.column("SELECT name FROM sqlite_master WHERE name = 'receipts_by_time'").size() == 1);
    CHECK_THAT(raw.exec("DELETE FROM receipts"), Catch::Contains("append-only"));
}

TEST_CASE("sqlite: receipts_in_time reads the time index in order, without a sort", "[server][storage][sqlite]") {
    SqliteHarness h;
    h.open();
    RawConnection raw(h.db_path());
    const auto plan = raw.column(
        "EXPLAIN QUERY PLAN SELECT * FROM receipts WHERE site_id = 's' AND server_time >= 1 AND server_time < 2 "
        "AND (server_time > 1 OR log_index > 0) ORDER BY server_time, log_index LIMIT 5",
        3);  // the "detail" column
    std::string text;
    for (const auto& row : plan) text += row + "\n";
    CAPTURE(text);
    CHECK(text.find("receipts_by_time") != std::string::npos);
    CHECK(text.find("TEMP B-TREE") == std::string::npos);
}

TEST_CASE("sqlite: a file that consentd did not create is refused", "[server][storage][sqlite]") {
    SqliteHarness h;
    SECTION("another application's database") {
        RawConnection raw(h.db_path());
        REQUIRE(raw.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)").empty());
        auto opened = h.try_open();
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == "storage.schema_version");
    }
    SECTION("not a database at all") {
        std::ofstream(h.db_path()) << "this is a text file, long enough to fill a database header..........\n";
        auto opened = h.try_open();
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == "storage.corrupt");
    }
}

// Not part of the suite (hidden tag): run by hand with
//   consent_server_tests "[benchmark]"
// Appends per second on a real file with synchronous=FULL, one thread against many.
TEST_CASE("sqlite: append throughput with 1 and 64 threads", "[.][benchmark]") {
    for (const int threads : {1, 64}) {
        SqliteHarness h;
        auto store = h.open();
        // As deployed, every batch signs a checkpoint (a stand-in here: without Ed25519's cost).
        store->set_checkpoint_signer([](std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp) {
            return Result<std::string>(fake_note(tree_size, root, timestamp));
        });
        setup_site(*store, kShop);
        const auto decisions = conformance::decisions_per_thread(threads, threads == 1 ? 1000 : 100);
        const auto start = std::chrono::steady_clock::now();
        const auto results = conformance::append_from_threads(*store, decisions);
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const auto total = static_cast<double>(*store->receipt_count());
        WARN(threads << " thread(s): " << static_cast<long>(total / elapsed.count()) << " appends/s, "
                     << store->commit_count() << " commits for " << total << " appends");
        for (const auto& r : results) CHECK(r.errors.empty());
    }
}

}  // namespace
