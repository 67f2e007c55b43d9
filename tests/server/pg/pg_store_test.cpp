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
