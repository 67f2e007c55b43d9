// Account ids never in plain (issue #13, docs/erasure.md; GDPR Art. 25, 32):
// a decision, a withdrawal, a check, an export and an erasure for an email-like
// id all work with the id as given, while the store and every receipt hold
// only its keyed pseudonym. Real HTTP on 127.0.0.1, a real SQLite file (and its
// WAL), a real per-site secret.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"
#include "consent/log/proof_bundle.hpp"
#include "server_fixture.hpp"

namespace {

using consent::test::kBrowserSubject;
using consent::test::kShopOrigin;
using consent::test::RunningServer;
using consent::test::SiteBackend;
using nlohmann::json;

constexpr const char* kAccount = "alice.pseudonym@example.com";

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

json body_of(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == status);
    return json::parse(r->body);
}

std::string subject_path(const std::string& subject) { return "/v1/sites/bike-shop/subjects/" + subject; }

json payload_of(const std::string& jws) {
    const auto first = jws.find('.');
    const auto second = jws.find('.', first + 1);
    const auto bytes = consent::base64url_decode(jws.substr(first + 1, second - first - 1));
    REQUIRE(bytes);
    return json::parse(std::string(bytes->begin(), bytes->end()));
}

// Every file of the store (the database and its WAL), as bytes.
std::string store_bytes(const RunningServer& s) {
    std::string all;
    for (const auto& entry : std::filesystem::directory_iterator(s.dir())) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        all += text.str();
    }
    return all;
}

json vouched_decision(RunningServer& s, SiteBackend& backend, const std::string& decision_id,
                      const std::string& method) {
    const json claims = {{"site", "bike-shop"}, {"sub", kAccount}, {"iat", s.now()}, {"exp", s.now() + 600}};
    return body_of(s.client().Post("/v1/sites/bike-shop/decisions",
                                   {{"Origin", kShopOrigin}, {"Consent-Subject-Token", backend.token(claims)}},
                                   s.decision(decision_id, kAccount, method).dump(), "application/json"),
                   201);
}

}  // namespace

TEST_CASE("an account id is stored and signed only as its keyed pseudonym, and every route still takes the id",
          "[server][http][pseudonym]") {
    RunningServer s;
    SiteBackend backend;
    s.register_subject_key("bike-shop", backend.public_key());
    const json granted = vouched_decision(s, backend, "dec-pseudo-0001", "accept_all");
    const std::string pseudonym = granted["subject"];
    CHECK(pseudonym.rfind("p_", 0) == 0);
    CHECK(pseudonym.size() == 24);
    CHECK(payload_of(granted["receipt"])["subject"] == pseudonym);

    // The backend asks and withdraws with the account id as it knows it.
    const auto check = [&](const std::string& purpose) {
        return body_of(s.client().Get((subject_path(kAccount) + "/purposes/" + purpose).c_str(), bearer(s.shop_key())),
                       200);
    };
    CHECK(check("analytics")["allowed"] == true);
    const json withdrawn =
        body_of(s.client().Post((subject_path(kAccount) + "/withdrawals").c_str(), bearer(s.shop_key()),
                                R"({"purposes":["analytics"]})", "application/json"),
                201);
    CHECK(withdrawn["subject"] == pseudonym);
    CHECK(check("analytics")["reason"] == "withdrawn");
    const json batch =
        body_of(s.client().Post("/v1/sites/bike-shop/checks", bearer(s.shop_key()),
                                json{{"checks", {{{"subject", kAccount}, {"purpose", "marketing"}}}}}.dump(),
                                "application/json"),
                200);
    CHECK(batch["results"][0]["allowed"] == true);
    CHECK(batch["results"][0]["subject"] == kAccount);  // the answer speaks the caller's id

    // The export is a proof bundle of the pseudonym's receipts, and verifies.
    const json bundle =
        body_of(s.client().Get((subject_path(kAccount) + "/export").c_str(), bearer(s.shop_key())), 200);
    CHECK(bundle["subject"] == pseudonym);
    CHECK(bundle["receipts"].size() == 2);
    consent::bundle::Inputs in;
    in.bundle = bundle;
    CHECK(consent::bundle::verify(in));

    // Nothing stored holds the plain id: not the database, not its WAL.
    CHECK(store_bytes(s).find(kAccount) == std::string::npos);
    CHECK(store_bytes(s).find(pseudonym) != std::string::npos);
}

TEST_CASE("an account's pseudonym is the same on every route and differs between sites and from a browser id",
          "[server][http][pseudonym]") {
    RunningServer s;
    auto a = s.service().stored_subject("bike-shop", kAccount);
    auto again = s.service().stored_subject("bike-shop", kAccount);
    auto other_site = s.service().stored_subject("other-shop", kAccount);
    REQUIRE(a);
    REQUIRE(again);
    REQUIRE(other_site);
    CHECK(*a == *again);
    CHECK(*a != *other_site);  // each site's secret: no linking of one person across sites
    // A browser-made id names no one: kept as it is. A pseudonym-looking id is an id like any other.
    CHECK(*s.service().stored_subject("bike-shop", kBrowserSubject) == kBrowserSubject);
    CHECK(*s.service().stored_subject("bike-shop", *a) != *a);
}

TEST_CASE("an account's erasure erases its pseudonym's receipts, and a second one replays it",
          "[server][http][pseudonym][erasure]") {
    RunningServer s;
    SiteBackend backend;
    s.register_subject_key("bike-shop", backend.public_key());
    vouched_decision(s, backend, "dec-pseudo-0002", "reject_all");
    const auto erase = [&](int status) {
        return body_of(s.client().Post((subject_path(kAccount) + "/erasure").c_str(), bearer(s.shop_key()),
                                       R"({"reason":"subject_request"})", "application/json"),
                       status);
    };
    CHECK(erase(201)["erased"] == 1);
    CHECK(erase(200)["replayed"] == true);
    const json bundle =
        body_of(s.client().Get((subject_path(kAccount) + "/export").c_str(), bearer(s.shop_key())), 200);
    CHECK(bundle["erased"] == true);
    CHECK(bundle["receipts"].empty());
}
