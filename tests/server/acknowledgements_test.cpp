// Proof that processing stopped (issue #15): backends acknowledge the
// withdrawals they applied, over real HTTP on 127.0.0.1 and a real SQLite file.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>

#include <nlohmann/json.hpp>

#include "http/api_keys.hpp"
#include "schema_undo.hpp"
#include "server_fixture.hpp"
#include "storage/sqlite_store.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using nlohmann::json;

const std::string kSubjectPath = std::string("/v1/sites/bike-shop/subjects/") + kBrowserSubject;

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    return json::parse(r->body);
}

std::string grant(const RunningServer& s, const std::string& decision_id) {
    auto r = s.client().Post("/v1/sites/bike-shop/decisions", {{"Origin", kShopOrigin}},
                             s.decision(decision_id, kBrowserSubject, "accept_all").dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    return json::parse(r->body)["receipt_id"];
}

json withdraw(const RunningServer& s) {
    auto r = s.client().Post((kSubjectPath + "/withdrawals").c_str(), bearer(s.shop_key()),
                             R"({"purposes":["marketing"]})", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    return json::parse(r->body);
}

httplib::Result acknowledge(const RunningServer& s, const json& body, const std::string& key) {
    return s.client().Post("/v1/sites/bike-shop/acknowledgements", bearer(key), body.dump(), "application/json");
}

json backends(const RunningServer& s) {
    return body_of(s.client().Get("/v1/sites/bike-shop/backends", bearer(s.shop_key())));
}

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

}  // namespace

TEST_CASE("a backend's acknowledgement of a withdrawal is kept once and shown in the subject's export",
          "[server][http][acknowledgements]") {
    RunningServer s;
    s.set_time(1780000000);
    grant(s, "dec-ack-grant");
    const std::string withdrawal = withdraw(s)["receipt_id"];
    s.set_time(1780000001);
    auto first = acknowledge(s, {{"backend", "newsletter"}, {"receipts", {withdrawal}}}, s.shop_key());
    REQUIRE(first);
    CHECK(first->status == 200);
    const json recorded = json::parse(first->body)["acknowledged"][0];
    CHECK(recorded["receipt_id"] == withdrawal);
    CHECK(recorded["acknowledged_at"] == 1780000001);
    CHECK(recorded["replayed"] == false);

    // Sent again later (a mirror that reconnected): the first time stands.
    s.set_time(1780000009);
    const json again = body_of(acknowledge(s, {{"backend", "newsletter"}, {"receipts", {withdrawal}}}, s.shop_key()));
    CHECK(again["acknowledged"][0]["replayed"] == true);
    CHECK(again["acknowledged"][0]["acknowledged_at"] == 1780000001);
    REQUIRE(body_of(acknowledge(s, {{"backend", "recommendations"}, {"receipts", {withdrawal}}},
                                s.shop_key()))["acknowledged"][0]["replayed"] == false);

    const json bundle = body_of(s.client().Get((kSubjectPath + "/export").c_str(), bearer(s.shop_key())));
    REQUIRE(bundle["acknowledgements"].size() == 2);
    CHECK(bundle["acknowledgements"][0] == json{{"receipt_id", withdrawal},
                                                {"log_index", recorded["log_index"]},
                                                {"backend", "newsletter"},
                                                {"acknowledged_at", 1780000001}});
    CHECK(bundle["acknowledgements"][1]["backend"] == "recommendations");
    CHECK(bundle["acknowledgements"][1]["acknowledged_at"] == 1780000009);
}

TEST_CASE("the operator's view lists the backends behind the site's newest withdrawal",
          "[server][http][acknowledgements]") {
    RunningServer s;
    CHECK(backends(s) == json{{"newest_withdrawal", -1}, {"behind", 0}, {"backends", json::array()}});
    const std::string granted = grant(s, "dec-ack-grant");
    const json first = withdraw(s);
    REQUIRE(acknowledge(s, {{"backend", "newsletter"}, {"receipts", {first["receipt_id"]}}}, s.shop_key())->status ==
            200);
    // The recommender applied only the grant: it never said it stopped.
    REQUIRE(acknowledge(s, {{"backend", "recommendations"}, {"receipts", {granted}}}, s.shop_key())->status == 200);
    json view = backends(s);
    CHECK(view["newest_withdrawal"] == first["log_index"]);
    CHECK(view["behind"] == 1);
    REQUIRE(view["backends"].size() == 2);
    CHECK(view["backends"][0]["backend"] == "newsletter");
    CHECK(view["backends"][0]["behind"] == false);
    CHECK(view["backends"][0]["last_acknowledged_event"] == first["log_index"]);
    CHECK(view["backends"][1]["backend"] == "recommendations");
    CHECK(view["backends"][1]["behind"] == true);

    grant(s, "dec-ack-grant-2");
    const json second = withdraw(s);  // a newer withdrawal: the newsletter is behind too, until it says so
    CHECK(backends(s)["behind"] == 2);
    REQUIRE(acknowledge(s, {{"backend", "newsletter"}, {"receipts", {second["receipt_id"]}}}, s.shop_key())->status ==
            200);
    view = backends(s);
    CHECK(view["behind"] == 1);
    CHECK(view["backends"][0]["acknowledgements"] == 2);
}

TEST_CASE("a bad acknowledgement gets a clear error and keeps nothing", "[server][http][acknowledgements]") {
    RunningServer s;
    grant(s, "dec-ack-grant");
    const std::string withdrawal = withdraw(s)["receipt_id"];
    const auto code = [&](const json& body, const std::string& key) {
        auto r = acknowledge(s, body, key);
        REQUIRE(r);
        CAPTURE(r->body);
        return std::to_string(r->status) + " " + json::parse(r->body)["error"]["code"].get<std::string>();
    };
    CHECK(code({{"backend", "News Letter"}, {"receipts", {withdrawal}}}, s.shop_key()) == "400 ack.invalid_backend");
    CHECK(code({{"backend", ""}, {"receipts", {withdrawal}}}, s.shop_key()) == "400 ack.invalid_backend");
    CHECK(code({{"backend", "newsletter"}, {"receipts", json::array()}}, s.shop_key()) == "400 ack.invalid_receipts");
    CHECK(code({{"backend", "newsletter"}, {"receipts", {7}}}, s.shop_key()) == "400 ack.invalid_receipts");
    CHECK(code({{"receipts", {withdrawal}}}, s.shop_key()) == "400 request.missing_field");
    CHECK(code({{"backend", "newsletter"}, {"receipts", {withdrawal}}, {"at", 1}}, s.shop_key()) ==
          "400 request.unknown_field");
    // One unknown id: the known one beside it is not kept either.
    CHECK(code({{"backend", "newsletter"}, {"receipts", {withdrawal, "rcpt_00000000000000000"}}}, s.shop_key()) ==
          "404 storage.unknown_receipt");
    // Another site's key cannot acknowledge here, nor name this site's receipts from its own.
    CHECK(code({{"backend", "newsletter"}, {"receipts", {withdrawal}}}, s.other_key()) == "403 auth.wrong_site");
    auto foreign =
        s.client().Post("/v1/sites/other-site/acknowledgements", bearer(s.other_key()),
                        json{{"backend", "newsletter"}, {"receipts", {withdrawal}}}.dump(), "application/json");
    REQUIRE(foreign);
    CHECK(foreign->status == 404);
    CHECK(backends(s)["backends"] == json::array());
}

TEST_CASE("no connection can change or delete or forge an acknowledgement",
          "[server][storage][sqlite][acknowledgements]") {
    RunningServer s;
    grant(s, "dec-ack-grant");
    const std::string withdrawal = withdraw(s)["receipt_id"];
    REQUIRE(acknowledge(s, {{"backend", "newsletter"}, {"receipts", {withdrawal}}}, s.shop_key())->status == 200);
    const std::string path = (s.dir() / "consentd.db").string();
    CHECK_THAT(raw_exec(path, "UPDATE acknowledgements SET acknowledged_at = 0"), Catch::Contains("append-only"));
    CHECK_THAT(raw_exec(path, "DELETE FROM acknowledgements"), Catch::Contains("append-only"));
    CHECK_THAT(raw_exec(path, "INSERT INTO acknowledgements VALUES ('bike-shop', 'forged', '" + withdrawal +
                                  "', 'someone-else', 0, 'ck_x', 0)"),
               Catch::Contains("a receipt of its site"));
    // INSERT OR REPLACE of the same (backend, receipt) is skipped: the first time stays.
    CHECK(raw_exec(path,
                   "INSERT OR REPLACE INTO acknowledgements SELECT site_id, backend, receipt_id, subject_id, "
                   "log_index, key_id, 1 FROM acknowledgements") == "");
    const json bundle = body_of(s.client().Get((kSubjectPath + "/export").c_str(), bearer(s.shop_key())));
    CHECK(bundle["acknowledgements"][0]["acknowledged_at"] != 1);
}

TEST_CASE("a version 2 file is migrated: it gains the acknowledgements, and its API keys stay site-wide",
          "[server][storage][sqlite]") {
    consent::test::TempDir dir;
    const std::string path = (dir.path() / "consentd.db").string();
    const auto clock = [] { return std::int64_t{1780000000}; };
    const auto key = consent::server::make_api_key("bike-shop", 1780000000);
    {
        auto store = consent::server::SqliteStore::open(path, clock);
        REQUIRE(store.ok());
        REQUIRE(store.value()->put_site(consent::server::Site{"bike-shop", {kShopOrigin}, 1780000000, {}}).ok());
        REQUIRE(store.value()->put_api_key(key.record).ok());
    }
    // What version 2 wrote: no acknowledgements table, API keys without a backend.
    REQUIRE(raw_exec(path, std::string(consent::test::kUndoSchemaV6) + consent::test::kUndoSchemaV5 +
                               consent::test::kUndoSchemaV4 +
                               "DROP TABLE acknowledgements; UPDATE schema_version SET version = 2") == "");
    auto reopened = consent::server::SqliteStore::open(path, clock);
    REQUIRE(reopened.ok());
    CHECK(reopened.value()->backend_positions("bike-shop")->empty());
    CHECK(reopened.value()->api_key(key.record.key_id)->backend.empty());
    reopened.value().reset();
    CHECK(raw_exec(path, "SELECT backend FROM acknowledgements") == "");
    // Its guards came with it.
    for (const char* trigger : {"acknowledgements_no_update", "acknowledgements_no_delete",
                                "acknowledgements_first_stays", "acknowledgements_of_a_receipt"})
        CHECK_THAT(raw_exec(path, std::string("CREATE TRIGGER ") + trigger +
                                      " BEFORE DELETE ON acknowledgements BEGIN SELECT 1; END"),
                   Catch::Contains("already exists"));
}

TEST_CASE("a key registered for a backend acknowledges for it only, and the view lists it before it does",
          "[server][http][acknowledgements]") {
    RunningServer s;
    const auto billing = consent::server::make_api_key("bike-shop", s.now(), "billing");
    REQUIRE(s.store().put_api_key(billing.record).ok());
    grant(s, "dec-ack-grant");
    const json withdrawal = withdraw(s);
    // Registered and silent: listed, and behind the withdrawal it never acknowledged.
    json view = backends(s);
    REQUIRE(view["backends"].size() == 1);
    CHECK(view["backends"][0] == json{{"backend", "billing"},
                                      {"last_acknowledged_event", -1},
                                      {"last_acknowledged_at", 0},
                                      {"acknowledgements", 0},
                                      {"registered", true},
                                      {"behind", true}});
    CHECK(view["behind"] == 1);
    // It cannot speak for another backend: refused, nothing kept.
    auto other =
        acknowledge(s, {{"backend", "newsletter"}, {"receipts", {withdrawal["receipt_id"]}}}, billing.plaintext);
    REQUIRE(other);
    CHECK(other->status == 403);
    CHECK(body_of(other)["error"]["code"] == "ack.backend_mismatch");
    // Without a name, its own; the export shows which system stopped.
    auto own = acknowledge(s, {{"receipts", {withdrawal["receipt_id"]}}}, billing.plaintext);
    REQUIRE(own);
    REQUIRE(own->status == 200);
    CHECK(body_of(own)["backend"] == "billing");
    view = backends(s);
    CHECK(view["behind"] == 0);
    CHECK(view["backends"][0]["registered"] == true);
    CHECK(view["backends"][0]["last_acknowledged_event"] == withdrawal["log_index"]);
    // A site-wide key must still name its backend.
    auto unnamed = acknowledge(s, {{"receipts", {withdrawal["receipt_id"]}}}, s.shop_key());
    REQUIRE(unnamed);
    CHECK(body_of(unnamed)["error"]["code"] == "request.missing_field");
    // Once its key is revoked the backend is no longer registered, but what it acknowledged stays listed.
    REQUIRE(s.store().revoke_api_key(billing.record.key_id, s.now()).ok());
    CHECK(backends(s)["backends"][0]["registered"] == false);
}
