#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/notice.hpp"
#include "fixtures.hpp"
#include "test_files.hpp"

namespace {

using consent::Notice;
using consent::Result;
using consent::test::shop_notice;
using consent::test::shop_notice_json;
using nlohmann::json;

json with(json j, const std::string& pointer, json value) {
    j[json::json_pointer(pointer)] = std::move(value);
    return j;
}

json without(json j, const std::string& pointer) {
    const json::json_pointer ptr(pointer);
    j[ptr.parent_pointer()].erase(ptr.back());
    return j;
}

// A mutation of the fixture notice and the error it must produce.
struct Rejection {
    std::string pointer;
    json value;
    std::string code;
    std::string path;
};

void check_rejected(const Result<Notice>& parsed, const std::string& code, const std::string& path) {
    REQUIRE_FALSE(parsed.ok());
    CAPTURE(parsed.error().message);
    CHECK(parsed.error().code == code);
    CHECK(parsed.error().path == path);
    CHECK_FALSE(parsed.error().message.empty());
}

std::string hash_of(const json& notice_json) {
    auto parsed = consent::parse_notice(notice_json);
    REQUIRE(parsed.ok());
    return consent::notice_content_hash(*parsed);
}

// Reverses member order at every depth: same JSON value, different text.
nlohmann::ordered_json reversed_members(const nlohmann::ordered_json& j) {
    if (j.is_array()) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& v : j) out.push_back(reversed_members(v));
        return out;
    }
    if (!j.is_object()) return j;
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (auto k = keys.rbegin(); k != keys.rend(); ++k) out[*k] = reversed_members(j.at(*k));
    return out;
}

Notice version_of(std::int64_t version, bool material) {
    Notice n = shop_notice();
    n.version = version;
    n.material = material;
    return n;
}

}  // namespace

TEST_CASE("the shop fixture notice parses with every field it declares", "[core][notice]") {
    const Notice n = shop_notice();
    CHECK(n.notice_id == "bike-shop");
    CHECK(n.version == 3);
    CHECK(n.material);
    CHECK(n.controller.name == "Velo GmbH");
    CHECK(n.controller.contact == "privacy@velo.example");
    CHECK(n.controller.address == std::optional<std::string>("Radweg 1, 10115 Berlin"));
    CHECK(n.policy_url == "https://velo.example/privacy");
    CHECK(n.jurisdiction == std::optional<std::string>("EU"));
    CHECK(n.languages == std::vector<std::string>{"en", "de", "ar"});
    CHECK(n.default_language() == "en");
    CHECK(n.texts.size() == 3);
    REQUIRE(n.purposes.size() == 3);
    CHECK(n.purposes[0].id == "necessary");
    CHECK(n.purposes[0].is_necessary());
    CHECK(n.purposes[1].id == "analytics");
    CHECK_FALSE(n.purposes[1].is_necessary());
    CHECK(n.purposes[1].dpv == std::optional<std::string>("https://w3id.org/dpv#ServiceUsageAnalytics"));
    REQUIRE(n.purposes[1].services.size() == 1);
    REQUIRE(n.purposes[1].services[0].cookies.size() == 2);
    CHECK(n.purposes[1].services[0].cookies[0].name == "_pk_id*");
    CHECK(n.purposes[1].services[0].cookies[0].lifetime_days == 395);
    const consent::Purpose* marketing = n.find_purpose("marketing");
    REQUIRE(marketing != nullptr);
    CHECK(marketing->sale_or_sharing);
    CHECK(marketing->services[0].third_party);
    CHECK(marketing->consent_mode == std::vector<std::string>{"ad_storage", "ad_user_data", "ad_personalization"});
    CHECK(marketing->max_age_days == 180);
    CHECK(marketing->refusal_max_age_days == 90);
    CHECK(n.find_purpose("newsletter") == nullptr);
}

TEST_CASE("parse_notice_text reads the fixture file like parse_notice reads its JSON", "[core][notice]") {
    const auto text = consent::test::read_file(consent::test::data_dir() + "/notices/shop.json");
    auto parsed = consent::parse_notice_text(text);
    REQUIRE(parsed.ok());
    CHECK(consent::notice_to_json(*parsed) == consent::notice_to_json(shop_notice()));
}

// GDPR Art. 13: controller, purposes, recipients and cookie lifetimes are all required.
TEST_CASE("a notice missing a required field is rejected with that field's JSON pointer (Art. 13)", "[core][notice]") {
    const std::string pointer = GENERATE(
        as<std::string>{},  //
        "/notice_id", "/version", "/material", "/controller", "/policy_url", "/languages", "/texts", "/purposes",
        "/controller/name", "/controller/contact", "/texts/de/title", "/texts/de/body", "/purposes/1/id",
        "/purposes/1/legal_basis", "/purposes/1/texts", "/purposes/1/services", "/purposes/2/texts/en/title",
        "/purposes/2/texts/ar/description", "/purposes/2/services/0/name", "/purposes/2/services/0/provider",
        "/purposes/2/services/0/third_party", "/purposes/2/services/0/cookies", "/purposes/2/services/0/cookies/0/name",
        "/purposes/2/services/0/cookies/0/lifetime_days");
    CAPTURE(pointer);
    check_rejected(consent::parse_notice(without(shop_notice_json(), pointer)), "notice.missing_field", pointer);
}

TEST_CASE("a necessary purpose may omit its services but a consent purpose may not", "[core][notice]") {
    CHECK(consent::parse_notice(without(shop_notice_json(), "/purposes/0/services")).ok());
    CHECK(consent::parse_notice(with(shop_notice_json(), "/purposes/0/services", json::array())).ok());
    // GDPR Art. 13(1)(e): a visitor asked to consent is told who receives the data.
    check_rejected(consent::parse_notice(with(shop_notice_json(), "/purposes/2/services", json::array())),
                   "notice.missing_services", "/purposes/2/services");
}

TEST_CASE("a field of the wrong JSON type is rejected with notice.wrong_type and its path", "[core][notice]") {
    const auto c = GENERATE(values<Rejection>({
        {"/version", "3", "", "/version"},
        {"/version", 3.0, "", "/version"},
        {"/material", "true", "", "/material"},
        {"/material", 1, "", "/material"},
        {"/notice_id", 7, "", "/notice_id"},
        {"/controller", "Velo GmbH", "", "/controller"},
        {"/controller/name", json::array({"Velo"}), "", "/controller/name"},
        {"/languages", "en", "", "/languages"},
        {"/texts", json::array(), "", "/texts"},
        {"/texts/en", "Your privacy choices", "", "/texts/en"},
        {"/texts/en/labels", json::array(), "", "/texts/en/labels"},
        {"/purposes", json::object(), "", "/purposes"},
        {"/purposes/1", "analytics", "", "/purposes/1"},
        {"/purposes/1/texts", "Audience measurement", "", "/purposes/1/texts"},
        {"/purposes/1/services", json::object(), "", "/purposes/1/services"},
        {"/purposes/1/services/0", "Matomo", "", "/purposes/1/services/0"},
        {"/purposes/1/services/0/third_party", 0, "", "/purposes/1/services/0/third_party"},
        {"/purposes/1/services/0/cookies", "_pk_id*", "", "/purposes/1/services/0/cookies"},
        {"/purposes/1/services/0/cookies/0/lifetime_days", "395", "", "/purposes/1/services/0/cookies/0/lifetime_days"},
        {"/purposes/1/consent_mode", "analytics_storage", "", "/purposes/1/consent_mode"},
        {"/purposes/1/sale_or_sharing", "no", "", "/purposes/1/sale_or_sharing"},
        {"/purposes/1/max_age_days", 180.5, "", "/purposes/1/max_age_days"},
    }));
    CAPTURE(c.pointer, c.value.dump());
    check_rejected(consent::parse_notice(with(shop_notice_json(), c.pointer, c.value)), "notice.wrong_type", c.path);
}

TEST_CASE("a notice that is not a JSON object is rejected as notice.wrong_type at the root", "[core][notice]") {
    const json value = GENERATE(json::array(), json("notice"), json(nullptr), json(3));
    CAPTURE(value.dump());
    check_rejected(consent::parse_notice(value), "notice.wrong_type", "");
}

TEST_CASE("an unknown field anywhere in a notice is rejected, not ignored", "[core][notice]") {
    const std::string parent =
        GENERATE(as<std::string>{}, "", "/controller", "/texts/en", "/purposes/1", "/purposes/0",
                 "/purposes/1/texts/de", "/purposes/2/services/0", "/purposes/2/services/0/cookies/0");
    CAPTURE(parent);
    check_rejected(consent::parse_notice(with(shop_notice_json(), parent + "/colour", "red")), "notice.unknown_field",
                   parent + "/colour");
}

TEST_CASE("an unknown field's path escapes '/' and '~' as RFC 6901 requires", "[core][notice]") {
    json j = shop_notice_json();
    j["a/b~c"] = 1;
    check_rejected(consent::parse_notice(j), "notice.unknown_field", "/a~1b~0c");
}

// CJEU C-673/17 Planet49: a pre-ticked box is not consent, so a notice cannot express one.
TEST_CASE("a purpose that tries to pre-check itself is rejected as prechecked_forbidden (Planet49)",
          "[core][notice][planet49]") {
    const std::string field =
        GENERATE(as<std::string>{}, "default", "default_state", "defaultState", "checked", "prechecked", "pre_checked",
                 "preselected", "enabled", "initial", "initial_state", "granted", "value", "state", "on");
    // 0 is the necessary purpose, 1 a consent purpose, 2 a sale/sharing one.
    const std::string purpose = GENERATE(as<std::string>{}, "/purposes/0", "/purposes/1", "/purposes/2");
    const json value = GENERATE(json(true), json(false), json("on"));
    CAPTURE(field, purpose, value.dump());
    const auto parsed = consent::parse_notice(with(shop_notice_json(), purpose + "/" + field, value));
    check_rejected(parsed, "notice.prechecked_forbidden", purpose + "/" + field);
    CHECK(parsed.error().message.find(field) != std::string::npos);
}

TEST_CASE("a language listed without its texts is rejected as notice.missing_text", "[core][notice]") {
    const std::string pointer =
        GENERATE(as<std::string>{}, "/texts/de", "/texts/ar", "/purposes/0/texts/en", "/purposes/2/texts/ar");
    CAPTURE(pointer);
    check_rejected(consent::parse_notice(without(shop_notice_json(), pointer)), "notice.missing_text", pointer);
}

TEST_CASE("a text for a language the notice does not list is rejected as notice.unknown_language", "[core][notice]") {
    const std::string texts = GENERATE(as<std::string>{}, "/texts", "/purposes/1/texts");
    CAPTURE(texts);
    json j = shop_notice_json();
    const std::string en = texts + "/en";
    j[json::json_pointer(texts + "/fr")] = j[json::json_pointer(en)];
    check_rejected(consent::parse_notice(j), "notice.unknown_language", texts + "/fr");
}

TEST_CASE("a cookie lifetime over the 400-day browser cap is rejected while 400 days is accepted", "[core][notice]") {
    const std::string pointer = "/purposes/1/services/0/cookies/0/lifetime_days";
    CHECK(consent::parse_notice(with(shop_notice_json(), pointer, 400)).ok());
    CHECK(consent::parse_notice(with(shop_notice_json(), pointer, 0)).ok());
    check_rejected(consent::parse_notice(with(shop_notice_json(), pointer, 401)), "notice.cookie_lifetime_too_long",
                   pointer);
    check_rejected(consent::parse_notice(with(shop_notice_json(), pointer, -1)), "notice.out_of_range", pointer);
}

TEST_CASE("a cookie pattern that is not a cookie token is rejected, '*' alone above all", "[core][notice]") {
    const std::string name = GENERATE(as<std::string>{}, "*", "**", "_ga**", "a b", "a;b", "a=b", "_p*k");
    CAPTURE(name);
    const std::string pointer = "/purposes/1/services/0/cookies/0/name";
    check_rejected(consent::parse_notice(with(shop_notice_json(), pointer, name)), "notice.invalid_cookie_name",
                   pointer);
}

TEST_CASE("a purpose id used twice is rejected at the second one's id", "[core][notice]") {
    check_rejected(consent::parse_notice(with(shop_notice_json(), "/purposes/2/id", "analytics")),
                   "notice.duplicate_purpose", "/purposes/2/id");
}

TEST_CASE("a necessary purpose cannot be a sale/sharing purpose", "[core][notice]") {
    check_rejected(consent::parse_notice(with(shop_notice_json(), "/purposes/0/sale_or_sharing", true)),
                   "notice.necessary_sale", "/purposes/0/sale_or_sharing");
    CHECK(consent::parse_notice(with(shop_notice_json(), "/purposes/0/sale_or_sharing", false)).ok());
}

TEST_CASE("other malformed notice values are rejected with a specific code and path", "[core][notice]") {
    const auto c = GENERATE(values<Rejection>({
        {"/notice_id", "Bike Shop", "notice.invalid_notice_id", "/notice_id"},
        {"/notice_id", "", "notice.empty_field", "/notice_id"},
        {"/version", 0, "notice.out_of_range", "/version"},
        {"/policy_url", "http://velo.example/privacy", "notice.invalid_url", "/policy_url"},
        {"/policy_url", "javascript:alert(1)", "notice.invalid_url", "/policy_url"},
        {"/languages", json::array(), "notice.no_language", "/languages"},
        {"/languages", json::array({"en", "de", "ar", "en"}), "notice.duplicate_language", "/languages/3"},
        {"/languages", json::array({"en", "de", "english"}), "notice.invalid_language", "/languages/2"},
        {"/languages", json::array({"en", 5, "ar"}), "notice.invalid_language", "/languages/1"},
        {"/purposes", json::array(), "notice.purpose_count", "/purposes"},
        {"/purposes/1/id", "Analytics", "notice.invalid_purpose_id", "/purposes/1/id"},
        {"/purposes/1/legal_basis", "legitimate_interest", "notice.unsupported_legal_basis", "/purposes/1/legal_basis"},
        {"/purposes/1/max_age_days", 0, "notice.out_of_range", "/purposes/1/max_age_days"},
        {"/purposes/1/max_age_days", 401, "notice.out_of_range", "/purposes/1/max_age_days"},
        {"/purposes/2/refusal_max_age_days", 401, "notice.out_of_range", "/purposes/2/refusal_max_age_days"},
        {"/purposes/1/consent_mode", json::array({"analytics"}), "notice.unknown_consent_mode_type",
         "/purposes/1/consent_mode/0"},
        {"/purposes/1/consent_mode", json::array({"analytics_storage", "analytics_storage"}),
         "notice.duplicate_consent_mode_type", "/purposes/1/consent_mode/1"},
        {"/purposes/2/services/0/privacy_url", "http://adpartner.example/privacy", "notice.invalid_url",
         "/purposes/2/services/0/privacy_url"},
        {"/purposes/1/texts/en/title", "", "notice.empty_field", "/purposes/1/texts/en/title"},
        {"/purposes/1/texts/en/title", std::string(201, 'x'), "notice.too_long", "/purposes/1/texts/en/title"},
        {"/texts/en/labels", json{{"accept", "OK"}}, "notice.unknown_label", "/texts/en/labels/accept"},
        {"/texts/en/labels", json{{"accept_all", ""}}, "notice.invalid_label", "/texts/en/labels/accept_all"},
        {"/texts/en/labels", json{{"accept_all", 1}}, "notice.invalid_label", "/texts/en/labels/accept_all"},
    }));
    CAPTURE(c.pointer, c.value.dump());
    check_rejected(consent::parse_notice(with(shop_notice_json(), c.pointer, c.value)), c.code, c.path);
}

TEST_CASE("each rejected notice file under tests/data/notices/invalid names its expected error", "[core][notice]") {
    // Each file holds {"notice": …, "error": {"code", "path"}}; kept as data so
    // fuzzers and other front ends can reuse the same cases.
    const std::string dir = consent::test::data_dir() + "/notices/invalid";
    const auto files = consent::test::list_files(dir, ".json");
    REQUIRE_FALSE(files.empty());
    for (const auto& file : files) {
        CAPTURE(file);
        const json c = json::parse(consent::test::read_file(file));
        check_rejected(consent::parse_notice(c.at("notice")), c.at("error").at("code").get<std::string>(),
                       c.at("error").at("path").get<std::string>());
    }
}

// CNIL 2020: keep a refusal as long as a consent unless configured otherwise.
TEST_CASE("refusal_max_age_days defaults to the purpose's max_age_days", "[core][notice]") {
    json j = shop_notice_json();
    j["purposes"][1]["max_age_days"] = 30;
    auto parsed = consent::parse_notice(j);
    REQUIRE(parsed.ok());
    CHECK(parsed->purposes[1].max_age_days == 30);
    CHECK(parsed->purposes[1].refusal_max_age_days == 30);
    // Neither given: both take the default.
    CHECK(parsed->purposes[0].max_age_days == consent::kDefaultMaxAgeDays);
    CHECK(parsed->purposes[0].refusal_max_age_days == consent::kDefaultMaxAgeDays);
    // An explicit refusal age is kept.
    CHECK(parsed->purposes[2].refusal_max_age_days == 90);
}

// GDPR Art. 7(1): a receipt names the text shown by this hash.
TEST_CASE("the content hash is 64 lowercase hex digits", "[core][notice][hash]") {
    const std::string hash = consent::notice_content_hash(shop_notice());
    CAPTURE(hash);
    REQUIRE(hash.size() == 64);
    for (char c : hash) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
}

TEST_CASE("the content hash does not depend on member order or whitespace of the input", "[core][notice][hash]") {
    const std::string expected = consent::notice_content_hash(shop_notice());
    const auto text = consent::test::read_file(consent::test::data_dir() + "/notices/shop.json");
    const auto reordered = reversed_members(nlohmann::ordered_json::parse(text));
    const int indent = GENERATE(-1, 0, 7);
    CAPTURE(indent);
    const std::string rewritten = reordered.dump(indent);
    REQUIRE(rewritten != text);
    auto parsed = consent::parse_notice_text(rewritten);
    REQUIRE(parsed.ok());
    CHECK(consent::notice_content_hash(*parsed) == expected);
}

TEST_CASE("the stored normalized form re-derives the same content hash", "[core][notice][hash]") {
    const Notice n = shop_notice();
    auto reparsed = consent::parse_notice(consent::notice_to_json(n));
    REQUIRE(reparsed.ok());
    CHECK(consent::notice_content_hash(*reparsed) == consent::notice_content_hash(n));
    CHECK(consent::notice_to_json(*reparsed) == consent::notice_to_json(n));
}

TEST_CASE("the content hash changes when any text a visitor reads changes", "[core][notice][hash]") {
    const json original = shop_notice_json();
    const std::string before = hash_of(original);
    // Every string a visitor reads: titles, bodies, descriptions, who processes the data.
    const std::vector<std::string> read_fields{"title",    "body",    "description", "name",
                                               "provider", "contact", "address"};
    std::vector<std::string> pointers;
    const json flat = original.flatten();
    for (const auto& [pointer, value] : flat.items()) {
        const std::string last = pointer.substr(pointer.rfind('/') + 1);
        const bool read = std::find(read_fields.begin(), read_fields.end(), last) != read_fields.end();
        if (read && value.is_string() && pointer.find("/cookies/") == std::string::npos) pointers.push_back(pointer);
    }
    REQUIRE(pointers.size() >= 25);
    for (const auto& pointer : pointers) {
        CAPTURE(pointer);
        json changed = original;
        changed[json::json_pointer(pointer)] = changed[json::json_pointer(pointer)].get<std::string>() + ".";
        CHECK(hash_of(changed) != before);
    }
}

TEST_CASE("the content hash changes with version, materiality, lifetimes and label overrides", "[core][notice][hash]") {
    const auto c = GENERATE(values<Rejection>({
        {"/version", 4, "", ""},
        {"/material", false, "", ""},
        {"/purposes/1/services/0/cookies/0/lifetime_days", 30, "", ""},
        {"/purposes/2/sale_or_sharing", false, "", ""},
        {"/purposes/1/max_age_days", 90, "", ""},
        {"/texts/de/labels", json{{"accept_all", "Ja"}}, "", ""},
    }));
    CAPTURE(c.pointer, c.value.dump());
    CHECK(hash_of(with(shop_notice_json(), c.pointer, c.value)) != hash_of(shop_notice_json()));
}

TEST_CASE("last_material_version is the newest material version up to the current one", "[core][notice]") {
    // v1 material, v2 typo fix, v3 material, v4 and v5 typo fixes, v6 material (not yet current).
    const std::vector<Notice> versions{version_of(1, true),  version_of(2, false), version_of(3, true),
                                       version_of(4, false), version_of(5, false), version_of(6, true)};
    const auto [current, expected] =
        GENERATE(table<std::int64_t, std::int64_t>({{1, 1}, {2, 1}, {3, 3}, {4, 3}, {5, 3}, {6, 6}}));
    CAPTURE(current);
    CHECK(consent::last_material_version(versions, current) == expected);
}

TEST_CASE("last_material_version is 1 when no version was material", "[core][notice]") {
    const std::vector<Notice> versions{version_of(1, false), version_of(2, false), version_of(3, false)};
    CHECK(consent::last_material_version(versions, 3) == 1);
    CHECK(consent::last_material_version({}, 3) == 1);
}

TEST_CASE("parse_notice_text turns malformed JSON into an error value", "[core][notice]") {
    const std::string text = GENERATE(as<std::string>{}, "", "{", "{\"notice_id\": }", "[1, 2", "nul",
                                      "{\"a\": 1} trailing", "\xEF\xBB\xBF{}", "{'notice_id': 'x'}");
    CAPTURE(text);
    auto parsed = consent::parse_notice_text(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "json.parse_error");
}

TEST_CASE("parse_notice_text rejects a duplicate key instead of keeping one of the values", "[core][notice]") {
    // With last-wins parsing a reviewer could read one value while the parser took another.
    json j = shop_notice_json();
    std::string text = j.dump();
    const std::string needle = "\"sale_or_sharing\":true";
    const auto at = text.find(needle);
    REQUIRE(at != std::string::npos);
    text.insert(at, "\"sale_or_sharing\":false,");
    auto parsed = consent::parse_notice_text(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "jcs.duplicate_key");
    CHECK(parsed.error().path == "/purposes/2/sale_or_sharing");

    auto top = consent::parse_notice_text(R"({"notice_id":"a","notice_id":"b"})");
    REQUIRE_FALSE(top.ok());
    CHECK(top.error().code == "jcs.duplicate_key");
    CHECK(top.error().path == "/notice_id");
}
