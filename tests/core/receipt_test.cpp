// Receipts: the payload built from a decision, its RFC 8785 + RFC 7515 compact
// JWS envelope, the strict parser for untrusted receipts, and the chain hash.
#include "consent/log/receipt.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "fixtures.hpp"

namespace {

using consent::Decision;
using consent::DecisionRequest;
using consent::Method;
using consent::Notice;
using consent::ReceiptFacts;
using consent::test::days;
using consent::test::kNow;
using consent::test::shop_notice;
using nlohmann::json;

const std::string kPrev = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

DecisionRequest request(Method method) {
    DecisionRequest r;
    r.decision_id = "dec_0001-abcd";
    r.subject_id = "3f9a1c2e-visitor";
    r.notice_id = "bike-shop";
    r.notice_version = 3;
    r.notice_hash = consent::notice_content_hash(shop_notice());
    r.language = "de";
    r.method = method;
    return r;
}

Decision decide(const Notice& notice, const DecisionRequest& r) {
    auto d = consent::make_decision(notice, consent::notice_content_hash(notice), r);
    REQUIRE(d.ok());
    return std::move(d).value();
}

// Analytics granted, marketing refused, with every optional field present.
Decision full_decision() {
    DecisionRequest r = request(Method::custom);
    r.choices = {{"analytics", true}, {"marketing", false}};
    r.client_time_ms = kNow * 1000 - 1500;
    r.context.origin = "https://velo.example";
    r.context.ua_class = "mobile";
    return decide(shop_notice(), r);
}

ReceiptFacts facts(std::string prev = kPrev) {
    return ReceiptFacts{"rcpt_Zm9vYmFyYmF6cXV4", "velo-shop", kNow, 41, std::move(prev)};
}

json payload() { return consent::make_receipt_payload(shop_notice(), full_decision(), facts()); }

std::string b64(const std::string& text) {
    return consent::base64url_encode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::string decoded(const std::string& part) {
    const auto bytes = consent::base64url_decode(part);
    REQUIRE(bytes.ok());
    return std::string(bytes->begin(), bytes->end());
}

consent::Bytes signature(std::size_t size = 64) {
    consent::Bytes sig(size);
    for (std::size_t i = 0; i < size; ++i) sig[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return sig;
}

std::string canonical(const json& value) {
    auto text = consent::canonicalize(value);
    REQUIRE(text.ok());
    return *text;
}

// A well-formed compact receipt JWS over the test payload.
std::string good_compact() {
    auto input = consent::jws_signing_input(consent::receipt_jws_header("kid-1"), payload());
    REQUIRE(input.ok());
    return consent::jws_compact(*input, signature());
}

// Every leaf is a string or an integer: no floats, booleans or nulls.
void check_strings_and_integers_only(const json& value, const std::string& path) {
    CAPTURE(path);
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it)
            check_strings_and_integers_only(it.value(), path + "/" + it.key());
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i)
            check_strings_and_integers_only(value[i], path + "/" + std::to_string(i));
    } else {
        CHECK((value.is_string() || value.is_number_integer()));
    }
}

}  // namespace

TEST_CASE("a receipt payload names every field of the decision and the notice", "[core][receipt]") {
    const json p = payload();
    const Notice n = shop_notice();
    CHECK(p["schema"] == "consent-receipt/1");
    CHECK(p["receipt_id"] == "rcpt_Zm9vYmFyYmF6cXV4");
    CHECK(p["site"] == "velo-shop");
    CHECK(p["iat"] == kNow);
    CHECK(p["log_index"] == 41);
    CHECK(p["jurisdiction"] == "EU");
    CHECK(p["controller"] == json{{"name", "Velo GmbH"}, {"contact", "privacy@velo.example"}});
    CHECK(p["policy_url"] == "https://velo.example/privacy");
    CHECK(p["notice"] == json{{"id", "bike-shop"}, {"version", 3}, {"hash", consent::notice_content_hash(n)}});
    CHECK(p["language"] == "de");
    CHECK(p["subject"] == "3f9a1c2e-visitor");
    CHECK(p["decision_id"] == "dec_0001-abcd");
    CHECK(p["method"] == "custom");
    CHECK(p["prev"] == kPrev);
    CHECK(p["client_time"] == kNow * 1000 - 1500);
    CHECK(p["context"] == json{{"origin", "https://velo.example"}, {"ua_class", "mobile"}});
    CHECK(p.contains("exp"));
    CHECK(p.size() == 18);
}

TEST_CASE("a receipt payload holds integers and strings only", "[core][receipt]") {
    check_strings_and_integers_only(payload(), "");
    // Integers serialize as plain digits in RFC 8785, with no exponent or fraction.
    const std::string text = canonical(payload());
    CHECK(text.find("\"iat\":1767225600,") != std::string::npos);
    CHECK(text.find("\"exp\":" + std::to_string(kNow + days(180)) + ",") != std::string::npos);
}

TEST_CASE("receipt purposes follow the notice's order with legal basis and DPV IRI", "[core][receipt]") {
    const json purposes = payload()["purposes"];
    const json expected = json::array({
        {{"id", "necessary"}, {"state", "granted"}, {"legal_basis", "necessary"}},
        {{"id", "analytics"},
         {"state", "granted"},
         {"legal_basis", "consent"},
         {"dpv", "https://w3id.org/dpv#ServiceUsageAnalytics"}},
        {{"id", "marketing"}, {"state", "denied"}, {"legal_basis", "consent"}},
    });
    CHECK(purposes == expected);
}

TEST_CASE("a withdrawal receipt names only the withdrawn purposes", "[core][receipt]") {
    DecisionRequest r = request(Method::withdraw);
    r.withdraw = {"marketing"};
    const json p = consent::make_receipt_payload(shop_notice(), decide(shop_notice(), r), facts());
    CHECK(p["method"] == "withdraw");
    CHECK(p["purposes"] == json::array({{{"id", "marketing"}, {"state", "denied"}, {"legal_basis", "consent"}}}));
}

TEST_CASE("a subject's first receipt has no prev, and absent optional fields stay absent", "[core][receipt]") {
    Notice n = shop_notice();
    n.jurisdiction.reset();
    DecisionRequest r = request(Method::reject_all);
    r.notice_hash = consent::notice_content_hash(n);
    const json p = consent::make_receipt_payload(n, decide(n, r), facts(""));
    for (const char* absent : {"prev", "jurisdiction", "client_time", "context"}) {
        CAPTURE(absent);
        CHECK_FALSE(p.contains(absent));
    }
    CHECK(p.size() == 14);
}

TEST_CASE("a receipt expires with the longest-lived purpose state it records", "[core][receipt]") {
    // Grants last max_age_days, refusals and withdrawals refusal_max_age_days,
    // per purpose; necessary purposes do not count.
    Notice n = shop_notice();
    n.purposes[0].max_age_days = 400;  // necessary: ignored
    n.purposes[1].max_age_days = 30;   // analytics
    n.purposes[1].refusal_max_age_days = 60;
    n.purposes[2].max_age_days = 365;  // marketing
    n.purposes[2].refusal_max_age_days = 90;
    struct Case {
        Method method;
        std::map<std::string, bool> choices;
        std::vector<std::string> withdraw;
        std::int64_t lifetime;
    };
    const Case c = GENERATE_COPY(values<Case>({
        {Method::accept_all, {}, {}, days(365)},
        {Method::reject_all, {}, {}, days(90)},
        {Method::custom, {{"analytics", true}}, {}, days(90)},
        {Method::custom, {{"marketing", true}}, {}, days(365)},
        {Method::withdraw, {}, {"analytics"}, days(60)},
        {Method::gpc, {{"analytics", true}}, {}, days(90)},
    }));
    CAPTURE(consent::to_string(c.method), c.choices, c.withdraw);
    DecisionRequest r = request(c.method);
    r.notice_hash = consent::notice_content_hash(n);
    r.choices = c.choices;
    r.withdraw = c.withdraw;
    const json p = consent::make_receipt_payload(n, decide(n, r), facts());
    CHECK(p["exp"].get<std::int64_t>() == kNow + c.lifetime);
}

TEST_CASE("receipt inputs that do not belong together are refused", "[core][receipt]") {
    const Notice n = shop_notice();
    Decision d = full_decision();
    ReceiptFacts f = facts();
    std::string code;
    const int which = GENERATE(range(0, 9));
    CAPTURE(which);
    switch (which) {
        case 0:
            d.notice_version = 2;
            code = "receipt.notice_mismatch";
            break;
        case 1:
            d.notice_id = "other-shop";
            code = "receipt.notice_mismatch";
            break;
        case 2:
            d.notice_hash = std::string(64, '0');
            code = "receipt.notice_mismatch";
            break;
        case 3:
            d.purposes["newsletter"] = consent::PurposeState::granted;
            code = "receipt.unknown_purpose";
            break;
        case 4:
            f.receipt_id.clear();
            code = "receipt.invalid_facts";
            break;
        case 5:
            f.server_time = -1;
            code = "receipt.invalid_facts";
            break;
        case 6:
            f.log_index = consent::kMaxReceiptInteger + 1;
            code = "receipt.invalid_facts";
            break;
        case 7:
            f.previous_receipt_hash = kPrev.substr(1);
            code = "receipt.invalid_facts";
            break;
        default:
            f.previous_receipt_hash = std::string(64, 'A');
            code = "receipt.invalid_facts";
            break;
    }
    const auto checked = consent::check_receipt_inputs(n, consent::notice_content_hash(n), d, f);
    REQUIRE_FALSE(checked.ok());
    CAPTURE(checked.error().message);
    CHECK(checked.error().code == code);
    CHECK(consent::check_receipt_inputs(n, consent::notice_content_hash(n), full_decision(), facts()).ok());
}

TEST_CASE("the receipt JWS signing input is two base64url parts of canonical JSON", "[core][receipt]") {
    const json header = consent::receipt_jws_header("kid-1");
    CHECK(canonical(header) == R"({"alg":"EdDSA","kid":"kid-1","typ":"consent-receipt+jws"})");
    auto input = consent::jws_signing_input(header, payload());
    REQUIRE(input.ok());
    const std::size_t dot = input->find('.');
    REQUIRE(dot != std::string::npos);
    CHECK(input->find('.', dot + 1) == std::string::npos);
    CHECK(input->find('=') == std::string::npos);
    CHECK(decoded(input->substr(0, dot)) == canonical(header));
    CHECK(decoded(input->substr(dot + 1)) == canonical(payload()));
}

TEST_CASE("a receipt signing input is refused for a float or a non-object part", "[core][receipt]") {
    json with_float = payload();
    with_float["iat"] = 1767225600.5;
    const auto header = consent::receipt_jws_header("kid-1");
    CHECK(consent::jws_signing_input(header, with_float).error().code == "jws.bad_payload");
    CHECK(consent::jws_signing_input(header, with_float).error().path == "/iat");
    CHECK(consent::jws_signing_input(header, json::array()).error().code == "jws.bad_payload");
    CHECK(consent::jws_signing_input(json("EdDSA"), payload()).error().code == "jws.bad_header");
}

TEST_CASE("a compact receipt parses back to the payload that was signed", "[core][receipt]") {
    const std::string compact = good_compact();
    auto parsed = consent::parse_compact_jws(compact);
    REQUIRE(parsed.ok());
    CHECK(parsed->payload == payload());
    CHECK(parsed->header == consent::receipt_jws_header("kid-1"));
    CHECK(parsed->payload_text == canonical(payload()));
    CHECK(parsed->signing_input == compact.substr(0, compact.rfind('.')));
    CHECK(parsed->signature == signature());
    CHECK(consent::jws_compact(parsed->signing_input, parsed->signature) == compact);
}

TEST_CASE("a malformed compact receipt is refused with its own code", "[core][receipt]") {
    const std::string h = b64(R"({"alg":"EdDSA","kid":"kid-1","typ":"consent-receipt+jws"})");
    const std::string p = b64(canonical(payload()));
    const std::string s = consent::base64url_encode(signature());
    const auto with_header = [&](const std::string& header) { return b64(header) + "." + p + "." + s; };
    const auto with_payload = [&](const std::string& body) { return h + "." + b64(body) + "." + s; };
    struct Case {
        std::string what;
        std::string compact;
        std::string code;
    };
    const Case c = GENERATE_COPY(values<Case>({
        {"empty", "", "jws.malformed"},
        {"two parts", h + "." + p, "jws.malformed"},
        {"four parts", h + "." + p + "." + s + "." + s, "jws.malformed"},
        {"five parts (a JWE)", h + "." + p + "." + s + ".." + s, "jws.malformed"},
        {"bad character in header", h + "!." + p + "." + s, "jws.malformed"},
        {"standard base64 alphabet", h + "." + p + "." + "+" + s.substr(1), "jws.malformed"},
        {"padded signature", h + "." + p + "." + s + "==", "jws.malformed"},
        {"padded payload", h + "." + p + "=." + s, "jws.malformed"},
        {"whitespace", h + ". " + p + "." + s, "jws.malformed"},
        {"short signature", h + "." + p + "." + consent::base64url_encode(signature(63)), "jws.malformed"},
        {"empty signature", h + "." + p + ".", "jws.malformed"},
        {"too large", h + "." + p + std::string(consent::kJwsMaxBytes, 'A') + "." + s, "jws.malformed"},
        {"alg none", with_header(R"({"alg":"none","kid":"kid-1","typ":"consent-receipt+jws"})"), "jws.unsupported_alg"},
        {"alg HS256", with_header(R"({"alg":"HS256","kid":"kid-1","typ":"consent-receipt+jws"})"),
         "jws.unsupported_alg"},
        {"alg Ed25519", with_header(R"({"alg":"Ed25519","kid":"kid-1","typ":"consent-receipt+jws"})"),
         "jws.unsupported_alg"},
        {"alg lowercase", with_header(R"({"alg":"eddsa","kid":"kid-1","typ":"consent-receipt+jws"})"),
         "jws.unsupported_alg"},
        {"alg missing", with_header(R"({"kid":"kid-1","typ":"consent-receipt+jws"})"), "jws.bad_header"},
        {"alg not a string", with_header(R"({"alg":1,"kid":"kid-1","typ":"consent-receipt+jws"})"), "jws.bad_header"},
        {"typ JWT", with_header(R"({"alg":"EdDSA","kid":"kid-1","typ":"JWT"})"), "jws.wrong_type"},
        {"typ missing", with_header(R"({"alg":"EdDSA","kid":"kid-1"})"), "jws.wrong_type"},
        {"typ other case", with_header(R"({"alg":"EdDSA","kid":"kid-1","typ":"Consent-Receipt+JWS"})"),
         "jws.wrong_type"},
        {"kid missing", with_header(R"({"alg":"EdDSA","typ":"consent-receipt+jws"})"), "jws.bad_header"},
        {"kid empty", with_header(R"({"alg":"EdDSA","kid":"","typ":"consent-receipt+jws"})"), "jws.bad_header"},
        {"kid a number", with_header(R"({"alg":"EdDSA","kid":7,"typ":"consent-receipt+jws"})"), "jws.bad_header"},
        {"crit", with_header(R"({"alg":"EdDSA","crit":["b64"],"kid":"kid-1","typ":"consent-receipt+jws"})"),
         "jws.bad_header"},
        {"embedded jwk", with_header(R"({"alg":"EdDSA","jwk":{},"kid":"kid-1","typ":"consent-receipt+jws"})"),
         "jws.bad_header"},
        {"header an array", with_header(R"(["EdDSA"])"), "jws.bad_header"},
        {"header a string", with_header(R"("EdDSA")"), "jws.bad_header"},
        {"header not JSON", with_header(R"({"alg":"EdDSA")"), "jws.bad_header"},
        {"header duplicate alg", with_header(R"({"alg":"none","alg":"EdDSA","kid":"k","typ":"consent-receipt+jws"})"),
         "jws.bad_header"},
        {"payload not JSON", with_payload("{"), "jws.bad_payload"},
        {"payload an array", with_payload("[]"), "jws.bad_payload"},
        {"payload a float", with_payload(R"({"iat":1.5})"), "jws.bad_payload"},
        {"payload duplicate key", with_payload(R"({"a":1,"a":2})"), "jws.bad_payload"},
        {"payload whitespace", with_payload(R"({"a": 1})"), "jws.not_canonical"},
        {"payload trailing newline", with_payload(canonical(payload()) + "\n"), "jws.not_canonical"},
        {"payload key order", with_payload(R"({"b":1,"a":2})"), "jws.not_canonical"},
        {"payload escaped letter", with_payload(R"({"a":"\u0041"})"), "jws.not_canonical"},
        {"payload integer beyond 2^53", with_payload(R"({"a":12345678901234567891})"), "jws.not_canonical"},
    }));
    CAPTURE(c.what, c.compact.substr(0, 200));
    const auto parsed = consent::parse_compact_jws(c.compact);
    REQUIRE_FALSE(parsed.ok());
    CAPTURE(parsed.error().message);
    CHECK(parsed.error().code == c.code);
}

TEST_CASE("the receipt hash is 64 hex digits of SHA-256 over the compact text", "[core][receipt]") {
    CHECK(consent::receipt_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string compact = good_compact();
    const std::string hash = consent::receipt_hash(compact);
    REQUIRE(hash.size() == 64);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    for (std::size_t i = 0; i < compact.size(); ++i) {
        std::string changed = compact;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        CAPTURE(i);
        CHECK(consent::receipt_hash(changed) != hash);
    }
}

TEST_CASE("a receipt payload reads back to the decision and the facts that made it", "[core][receipt]") {
    const Decision d = full_decision();
    auto read = consent::read_receipt_payload(payload());
    REQUIRE(read.ok());
    CHECK(consent::decision_to_json(read->decision) == consent::decision_to_json(d));
    CHECK(read->facts.receipt_id == facts().receipt_id);
    CHECK(read->facts.site_id == "velo-shop");
    CHECK(read->facts.server_time == kNow);
    CHECK(read->facts.log_index == 41);
    CHECK(read->facts.previous_receipt_hash == kPrev);

    // A first receipt, no optional field: prev reads back empty.
    DecisionRequest r = request(Method::reject_all);
    const Decision minimal = decide(shop_notice(), r);
    auto first = consent::read_receipt_payload(consent::make_receipt_payload(shop_notice(), minimal, facts("")));
    REQUIRE(first.ok());
    CHECK(consent::decision_to_json(first->decision) == consent::decision_to_json(minimal));
    CHECK(first->facts.previous_receipt_hash.empty());
}

TEST_CASE("a receipt payload that lacks or bends a field does not read back", "[core][receipt]") {
    const std::pair<const char*, json> bent[] = {
        {"/subject", json(42)},       {"/decision_id", json(nullptr)},      {"/iat", json("now")},
        {"/method", json("granted")}, {"/purposes/0/state", json("maybe")}, {"/notice/version", json("3")},
        {"/prev", json(7)},
    };
    for (const auto& [pointer, value] : bent) {
        CAPTURE(pointer);
        json p = payload();
        p[json::json_pointer(pointer)] = value;
        CHECK_FALSE(consent::read_receipt_payload(p).ok());
    }
    for (const char* key : {"receipt_id", "site", "log_index", "language", "notice", "purposes"}) {
        CAPTURE(key);
        json p = payload();
        p.erase(key);
        auto read = consent::read_receipt_payload(p);
        REQUIRE_FALSE(read.ok());
        CHECK(read.error().code == "receipt.bad_payload");
        CHECK(read.error().path == std::string("/") + key);
    }
    json twice = payload();
    twice["purposes"].push_back(twice["purposes"][0]);
    CHECK_FALSE(consent::read_receipt_payload(twice).ok());
}
