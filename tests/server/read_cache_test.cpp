// The SQLite store keeps subjects' states and API keys in memory (issue #11,
// server/storage/read_cache.hpp): a check must still answer what the file
// holds, whether this process or another one wrote it.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "consent/consent/policy.hpp"
#include "fixtures.hpp"
#include "server_fixture.hpp"
#include "storage/read_cache.hpp"
#include "storage/sqlite_store.hpp"
#include "store_conformance.hpp"
#include "store_reads.hpp"

namespace {

using namespace consent::test::store;  // NOLINT: the suite's inputs and checks
using consent::server::ReadCache;
using consent::server::SqliteOptions;
using consent::server::SqliteStore;
using consent::test::read_ok;

std::unique_ptr<SqliteStore> open_store(const std::string& path, SqliteOptions options = {}) {
    auto store = SqliteStore::open(
        path, [] { return consent::test::kNow; }, options);
    if (!store) FAIL(store.error().code << ": " << store.error().message);
    return std::move(store).value();
}

std::string verdict_reason(consent::server::ReceiptStore& store, const std::string& subject,
                           const std::string& purpose = "analytics") {
    return consent::is_allowed(policy_context(), purpose, read_ok(store.subject_state(kShop, subject))).reason;
}

// Every field of every purpose (PurposeRecord has no operator==).
bool same_state(const consent::SubjectState& a, const consent::SubjectState& b) {
    if (a.size() != b.size()) return false;
    for (const auto& [purpose, x] : a) {
        const auto found = b.find(purpose);
        if (found == b.end()) return false;
        const auto& y = found->second;
        if (x.state != y.state || x.method != y.method || x.notice_id != y.notice_id ||
            x.notice_version != y.notice_version || x.decided_at != y.decided_at || x.receipt_id != y.receipt_id)
            return false;
    }
    return true;
}

// Waits (up to 5 s, far beyond the watch's 50 ms) until done() holds.
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace

TEST_CASE("read cache: a value read before a put, a forget or a clear is not kept", "[server][storage]") {
    ReadCache<int> cache(100, 4);
    ReadCache<int>::Ticket ticket;
    CHECK(cache.find("a", &ticket) == nullptr);
    cache.put("a", 2);  // the store changed it after the reader looked
    cache.fill("a", ticket, 1);
    REQUIRE(cache.find("a", &ticket) != nullptr);
    CHECK(*cache.find("a", &ticket) == 2);

    CHECK(cache.find("b", &ticket) == nullptr);
    cache.forget("b");
    cache.fill("b", ticket, 1);
    CHECK(cache.find("b", &ticket) == nullptr);

    CHECK(cache.find("c", &ticket) == nullptr);
    cache.clear();
    cache.fill("c", ticket, 1);
    CHECK(cache.find("c", &ticket) == nullptr);

    cache.fill("c", ticket, 3);  // a ticket taken after the clear
    REQUIRE(cache.find("c", &ticket) != nullptr);
    CHECK(*cache.find("c", &ticket) == 3);
    CHECK(cache.stats().fills_refused == 3);
}

TEST_CASE("read cache: it holds at most its capacity, dropping the least recently used", "[server][storage]") {
    ReadCache<int> cache(8, 1);
    ReadCache<int>::Ticket ticket;
    for (int i = 0; i < 8; ++i) cache.put("k" + std::to_string(i), i);
    REQUIRE(cache.find("k0", &ticket) != nullptr);  // k1 is now the oldest
    cache.put("k8", 8);
    CHECK(cache.stats().entries == 8);
    CHECK(cache.stats().evictions == 1);
    CHECK(cache.find("k1", &ticket) == nullptr);
    CHECK(cache.find("k0", &ticket) != nullptr);
    CHECK(cache.find("k8", &ticket) != nullptr);
}

TEST_CASE("sqlite: a check after a commit reads the state from memory, as the file holds it",
          "[server][storage][sqlite]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consent.db").string();
    auto store = open_store(path);
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    const auto before = store->state_cache_stats();
    CHECK(verdict_reason(*store, "subj-a") == "granted");
    CHECK(store->state_cache_stats().hits == before.hits + 1);  // put by the writer at its commit
    append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw, {}, {"analytics"})));
    CHECK(verdict_reason(*store, "subj-a") == "withdrawn");
    CHECK(verdict_reason(*store, "subj-a", "marketing") == "granted");
    // What a reader of the file sees (a store of its own, nothing in memory yet).
    auto fresh = open_store(path);
    CHECK(same_state(read_ok(fresh->subject_state(kShop, "subj-a")), read_ok(store->subject_state(kShop, "subj-a"))));
}

TEST_CASE("sqlite: another process's withdrawal and erasure reach the checks held in memory",
          "[server][storage][sqlite][concurrency]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consent.db").string();
    auto consentd = open_store(path);
    setup_site(*consentd, kShop);
    append_ok(*consentd, request(kShop, grant_all("decision-1", "subj-a")));
    append_ok(*consentd, request(kShop, grant_all("decision-2", "subj-b")));
    REQUIRE(verdict_reason(*consentd, "subj-a") == "granted");
    REQUIRE(verdict_reason(*consentd, "subj-b") == "granted");

    {
        // consentctl, say: its own store on the same file.
        auto other = open_store(path);
        append_ok(*other, request(kShop, decide("decision-3", "subj-a", Method::withdraw, {}, {"analytics"})));
        auto erased = other->erase(erasure_request(*other, kShop, "subj-b", "era_other_process"));
        REQUIRE(erased.ok());
    }
    CHECK(eventually([&] { return verdict_reason(*consentd, "subj-a") == "withdrawn"; }));
    CHECK(eventually([&] { return verdict_reason(*consentd, "subj-b") == "no_decision"; }));
    CHECK(consentd->foreign_receipts_seen() >= 1);
    // consentd's own writer goes on from the file's new end.
    append_ok(*consentd, request(kShop, grant_all("decision-4", "subj-c")));
    CHECK(verdict_reason(*consentd, "subj-c") == "granted");
    CHECK(read_ok(consentd->receipt_count()) == 5);  // 2 grants, theirs: a withdrawal, an erasure; 1 more
    CHECK(consentd->rebuild_check().ok());
}

TEST_CASE("sqlite: a key revoked here stops at once, one revoked by another process within the watch's period",
          "[server][storage][sqlite]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consent.db").string();
    auto consentd = open_store(path);
    setup_site(*consentd, kShop);
    for (const char* id : {"key-here", "key-there"})
        REQUIRE(consentd->put_api_key({id, kShop, std::string(64, 'a'), consent::test::kNow, std::nullopt, ""}).ok());
    REQUIRE_FALSE(read_ok(consentd->api_key("key-here")).revoked_at.has_value());
    REQUIRE_FALSE(read_ok(consentd->api_key("key-there")).revoked_at.has_value());
    CHECK(consentd->key_cache_stats().entries == 2);

    REQUIRE(consentd->revoke_api_key("key-here", consent::test::kNow + 1).ok());
    CHECK(read_ok(consentd->api_key("key-here")).revoked_at == consent::test::kNow + 1);

    {
        auto other = open_store(path);
        REQUIRE(other->revoke_api_key("key-there", consent::test::kNow + 2).ok());
    }
    CHECK(eventually([&] { return read_ok(consentd->api_key("key-there")).revoked_at.has_value(); }));
}

TEST_CASE("sqlite: the states kept in memory stay within their bound and agree with the file",
          "[server][storage][sqlite]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consent.db").string();
    SqliteOptions options;
    options.state_cache_subjects = 64;
    auto store = open_store(path, options);
    setup_site(*store, kShop);
    for (int i = 0; i < 300; ++i) {
        const std::string subject = "subj-" + std::to_string(i);
        append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), subject)));
        if (i % 3 == 0)
            append_ok(*store, request(kShop, decide("withdrawal-" + std::to_string(i), subject, Method::withdraw, {},
                                                    {"analytics"})));
    }
    CHECK(store->state_cache_stats().entries <= 64);
    CHECK(store->state_cache_stats().evictions > 0);
    auto fresh = open_store(path);
    for (int i = 0; i < 300; ++i) {
        const std::string subject = "subj-" + std::to_string(i);
        CAPTURE(subject);
        CHECK(verdict_reason(*store, subject) == (i % 3 == 0 ? "withdrawn" : "granted"));
        CHECK(same_state(read_ok(store->subject_state(kShop, subject)), read_ok(fresh->subject_state(kShop, subject))));
    }
    CHECK(store->state_cache_stats().entries <= 64);
}

// The watch compares the file's log with this writer's: a commit it sees
// before the writer has said so would drop every state for nothing.
TEST_CASE("sqlite: this process's own appends never drop the states kept in memory",
          "[server][storage][sqlite][concurrency]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consent.db").string();
    SqliteOptions options;
    options.foreign_write_period = std::chrono::milliseconds(1);  // a look between almost every two commits
    auto store = open_store(path, options);
    const std::int64_t appends = consent::test::store::conformance::concurrent_appends(*store, 16, 100);
    REQUIRE(appends == 1600);
    CHECK(store->foreign_receipts_seen() == 0);
    CHECK(store->state_cache_stats().clears == 1);  // the writer's own, when it first read the log
}
