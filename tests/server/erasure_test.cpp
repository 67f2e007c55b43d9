// Erasure that keeps every proof valid (issue #13, docs/erasure.md): over real
// HTTP on 127.0.0.1, a real SQLite file (and its WAL), real Ed25519 keys.
// What every store must do alike (the erased rows, the schema's guards, the
// audit of tampering, a failed erasure) is in the conformance suite
// (store_conformance_erasure.cpp), run against SQLite and PostgreSQL.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"
#include "schema_undo.hpp"
#include "server_fixture.hpp"
#include "store_reads.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::read_ok;
using consent::test::RunningServer;
using nlohmann::json;

constexpr std::int64_t kT0 = 1780000000;
constexpr const char* kOtherSubject = "b_T3R0by1icm93c2VyLTAwMD";

std::string subject_path(const std::string& subject) { return "/v1/sites/bike-shop/subjects/" + subject; }

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == status);
    return json::parse(r->body);
}

json decide(const RunningServer& s, const std::string& decision_id, const std::string& subject,
            const std::string& method) {
    return body_of(s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", kShopOrigin}},
                                   s.decision(decision_id, subject, method).dump(), "application/json"),
                   201);
}

httplib::Result erase(const RunningServer& s, const std::string& subject, const std::string& body) {
    return s.client().Post((subject_path(subject) + "/erasure").c_str(), bearer(s.shop_key()), body,
                           "application/json");
}

json check(const RunningServer& s, const std::string& subject, const std::string& purpose) {
    return body_of(s.client().Get((subject_path(subject) + "/purposes/" + purpose).c_str(), bearer(s.shop_key())), 200);
}

json get_open(const RunningServer& s, const std::string& path) { return body_of(s.client().Get(path.c_str()), 200); }

// GET /v1/log/checkpoint: the signed note, as text.
consent::checkpoint::Note latest_note(const RunningServer& s) {
    auto r = s.client().Get("/v1/log/checkpoint");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto note = consent::checkpoint::parse(r->body);
    REQUIRE(note.ok());
    return *note;
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::uint8_t> bytes(const consent::merkle::Hash& h) { return {h.begin(), h.end()}; }

std::vector<std::vector<std::uint8_t>> hashes(const json& base64_list) {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& h : base64_list) out.push_back(*consent::base64_decode(h.get<std::string>()));
    return out;
}

consent::checkpoint::Note note_of(const std::string& text) { return *consent::checkpoint::parse(text); }

// sqlite3_exec's message, "" on success: what an operator with the sqlite3 shell could do.
std::string raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_busy_timeout(db, 5000);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string out = rc == SQLITE_OK ? "" : (message != nullptr ? message : "error");
    sqlite3_free(message);
    sqlite3_close(db);
    return out;
}

json opt_in(const RunningServer& s) {
    return body_of(s.client().Get(("/v1/sites/bike-shop/stats/opt-in?bucket=3600&since=" + std::to_string(kT0 - 3600) +
                                   "&until=" + std::to_string(kT0 + 7200))
                                      .c_str(),
                                  bearer(s.shop_key())),
                   200)["purposes"];
}

}  // namespace

TEST_CASE("an erased subject's id is in neither database file, and every proof held before still verifies",
          "[server][http][erasure]") {
    RunningServer s;
    s.set_time(kT0);
    const json held = decide(s, "dec-erase-grant-1", kBrowserSubject, "accept_all");
    s.set_time(kT0 + 60);
    decide(s, "dec-erase-other-1", kOtherSubject, "accept_all");
    s.set_time(kT0 + 120);
    const json withdrawal =
        body_of(s.client().Post((subject_path(kBrowserSubject) + "/withdrawals").c_str(), bearer(s.shop_key()),
                                R"({"purposes":["marketing"]})", "application/json"),
                201);
    // A backend's acknowledgement names the subject too (schema v3's append-only table).
    body_of(s.client().Post("/v1/sites/bike-shop/acknowledgements", bearer(s.shop_key()),
                            json{{"backend", "newsletter"}, {"receipts", {withdrawal["receipt_id"]}}}.dump(),
                            "application/json"),
            200);
    const json stats_before = opt_in(s);
    const auto before = latest_note(s);

    s.set_time(kT0 + 180);
    const json erased = body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 201);
    CHECK(erased["erased"] == 2);
    CHECK(erased["replayed"] == false);

    // Not in the file, not in the WAL (secure_delete, checkpoint TRUNCATE).
    const auto db = s.dir() / "consentd.db";
    for (const auto& path : {db, std::filesystem::path(db.string() + "-wal")}) {
        const std::string raw = file_bytes(path);
        INFO(path.string());
        CHECK(raw.find(kBrowserSubject) == std::string::npos);
        CHECK(raw.find("dec-erase-grant-1") == std::string::npos);
        CHECK(raw.find(held["receipt_id"].get<std::string>()) == std::string::npos);
    }
    CHECK(file_bytes(db).find(kOtherSubject) != std::string::npos);  // the search does find what is there

    // The receipt the banner kept is still a leaf at its index of today's log,
    // and today's log extends the checkpoint held before.
    const auto now = latest_note(s);
    const std::int64_t index = held["log_index"];
    const json inclusion = get_open(
        s, "/v1/log/proofs/inclusion?leaf=" + std::to_string(index) + "&size=" + std::to_string(now.body.tree_size));
    CHECK(consent::merkle::verify_inclusion(index, now.body.tree_size,
                                            bytes(consent::merkle::leaf_hash(held["receipt"].get<std::string>())),
                                            hashes(inclusion["proof"]), bytes(now.body.root))
              .ok());
    const auto held_note = note_of(held["checkpoint"]);
    CHECK(consent::merkle::verify_inclusion(index, held_note.body.tree_size,
                                            bytes(consent::merkle::leaf_hash(held["receipt"].get<std::string>())),
                                            hashes(held["inclusion_proof"]), bytes(held_note.body.root))
              .ok());
    const json consistency = get_open(s, "/v1/log/proofs/consistency?from=" + std::to_string(before.body.tree_size) +
                                             "&to=" + std::to_string(now.body.tree_size));
    CHECK(consent::merkle::verify_consistency(before.body.tree_size, now.body.tree_size, bytes(before.body.root),
                                              bytes(now.body.root), hashes(consistency["proof"]))
              .ok());

    CHECK(check(s, kBrowserSubject, "analytics")["reason"] == "no_decision");
    CHECK(check(s, kOtherSubject, "analytics")["allowed"] == true);
    CHECK(opt_in(s) == stats_before);
    read_ok(s.store().rebuild_check());
}

TEST_CASE("the erasure receipt names indices and leaves, no person, and the export says erased and carries it",
          "[server][http][erasure]") {
    RunningServer s;
    s.set_time(kT0);
    const json held = decide(s, "dec-erase-grant-2", kBrowserSubject, "accept_all");
    const json erased = body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 201);

    auto jws = consent::parse_erasure_jws(erased["erasure"].get<std::string>());
    REQUIRE(jws.ok());
    const std::string payload = jws->payload_text;
    CHECK(payload.find(kBrowserSubject) == std::string::npos);
    CHECK(payload.find("dec-erase-grant-2") == std::string::npos);
    auto contents = consent::read_erasure_payload(jws->payload);
    REQUIRE(contents.ok());
    CHECK(contents->facts.reason == "subject_request");
    CHECK(contents->facts.requested_by.rfind("ck_", 0) == 0);  // the API key's public id
    REQUIRE(contents->erased.size() == 1);
    CHECK(contents->erased[0].log_index == held["log_index"]);
    CHECK(contents->erased[0].leaf ==
          consent::hex_encode(consent::merkle::leaf_hash(held["receipt"].get<std::string>())));

    const json bundle =
        body_of(s.client().Get((subject_path(kBrowserSubject) + "/export").c_str(), bearer(s.shop_key())), 200);
    CHECK(bundle["erased"] == true);
    CHECK(bundle["receipts"].empty());
    CHECK(bundle["state"].empty());
    REQUIRE(bundle["erasures"].size() == 1);
    CHECK(bundle["erasures"][0]["jws"] == erased["erasure"]);
    CHECK(bundle["erasures"][0].contains("inclusion_proof"));
    CHECK(bundle.dump().find("dec-erase-grant-2") == std::string::npos);
}

TEST_CASE("a second erasure answers the first erasure receipt, and an unknown subject or a free-text reason is refused",
          "[server][http][erasure]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-erase-grant-3", kBrowserSubject, "reject_all");
    const json first = body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 201);
    const std::int64_t size = latest_note(s).body.tree_size;
    const json again = body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 200);
    CHECK(again["replayed"] == true);
    CHECK(again["erasure_id"] == first["erasure_id"]);
    CHECK(latest_note(s).body.tree_size == size);  // nothing appended

    const json unknown = body_of(erase(s, kOtherSubject, R"({"reason":"subject_request"})"), 404);
    CHECK(unknown["error"]["code"] == "subject.unknown");
    const json free_text = body_of(erase(s, kBrowserSubject, R"({"reason":"Clara Schmidt asked by phone"})"), 400);
    CHECK(free_text["error"]["code"] == "erasure.invalid_reason");
    const json no_reason = body_of(erase(s, kBrowserSubject, "{}"), 400);
    CHECK(no_reason["error"]["code"].get<std::string>().rfind("request.", 0) == 0);
    auto no_key = s.client().Post((subject_path(kBrowserSubject) + "/erasure").c_str(),
                                  R"({"reason":"subject_request"})", "application/json");
    REQUIRE(no_key);
    CHECK(no_key->status == 401);
}

TEST_CASE("a subject who comes back after an erasure starts a new chain, and audit still passes",
          "[server][http][erasure]") {
    RunningServer s;
    s.set_time(kT0);
    decide(s, "dec-erase-grant-4", kBrowserSubject, "accept_all");
    body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 201);
    s.set_time(kT0 + 10);
    decide(s, "dec-erase-grant-5", kBrowserSubject, "accept_all");
    decide(s, "dec-erase-other-2", kOtherSubject, "reject_all");
    CHECK(check(s, kBrowserSubject, "analytics")["allowed"] == true);
    // A second erasure receipt chains to the first.
    const json second = body_of(erase(s, kBrowserSubject, R"({"reason":"subject_request"})"), 201);
    auto contents =
        consent::read_erasure_payload(consent::parse_erasure_jws(second["erasure"].get<std::string>())->payload);
    REQUIRE(contents.ok());
    CHECK_FALSE(contents->facts.previous_erasure_hash.empty());
    read_ok(s.store().rebuild_check());
    const json bundle =
        body_of(s.client().Get((subject_path(kBrowserSubject) + "/export").c_str(), bearer(s.shop_key())), 200);
    CHECK(bundle["erasures"].size() == 2);
}

TEST_CASE("a version 4 file is migrated to the current version and can erase", "[server][storage][sqlite][erasure]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consentd.db").string();
    const auto clock = [] { return std::int64_t{kT0}; };
    REQUIRE(consent::server::SqliteStore::open(path, clock).ok());
    REQUIRE(raw_exec(path, std::string(consent::test::kUndoSchemaV6) + consent::test::kUndoSchemaV5 +
                               "UPDATE schema_version SET version = 4") == "");
    auto reopened = consent::server::SqliteStore::open(path, clock);
    REQUIRE(reopened.ok());
    CHECK(reopened.value()->retention_policies().ok());
    reopened.value().reset();
    CHECK(raw_exec(path, "SELECT version FROM schema_version WHERE version = 6") == "");
    for (const char* table : {"erasures", "erased_subjects", "retention_policies"})
        CHECK_THAT(raw_exec(path, std::string("CREATE TABLE ") + table + " (x)"), Catch::Contains("already exists"));
}
