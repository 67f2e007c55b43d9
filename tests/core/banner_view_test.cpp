#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/banner/banner_view.hpp"
#include "consent/banner/labels.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "fixtures.hpp"

namespace {

using consent::BannerView;
using consent::Method;
using consent::Notice;
using consent::PolicyContext;
using consent::PurposeView;
using consent::SubjectState;
using consent::test::days;
using consent::test::kNow;
using consent::test::shop_notice;
using consent::test::shop_notice_json;
using nlohmann::json;

using Strings = std::vector<std::string>;

PolicyContext context_for(const Notice& notice, std::int64_t now = kNow, bool gpc = false) {
    return PolicyContext{notice, notice.version, now, gpc};
}

void record(SubjectState& state, const Notice& notice, Method method, std::map<std::string, bool> choices = {},
            Strings withdraw = {}) {
    const auto d = consent::test::test_decision(notice, method, std::move(choices), std::move(withdraw));
    consent::apply_decision(state, d, kNow, "r" + std::to_string(state.size()));
}

// The shop notice with one more language, its texts copied from English.
json with_language(json j, const std::string& tag) {
    j["languages"].push_back(tag);
    j["texts"][tag] = j["texts"]["en"];
    for (auto& p : j["purposes"]) p["texts"][tag] = p["texts"]["en"];
    return j;
}

Notice parsed(const json& j) {
    auto n = consent::parse_notice(j);
    if (!n) FAIL("notice invalid: " << n.error().code << " at " << n.error().path);
    return std::move(n).value();
}

const PurposeView& purpose(const BannerView& v, const std::string& id) {
    for (const auto& p : v.purposes)
        if (p.id == id) return p;
    FAIL("no purpose " << id << " in the view");
    return v.purposes.front();
}

std::set<std::string> keys_of(const json& object) {
    std::set<std::string> keys;
    for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
    return keys;
}

}  // namespace

// ---------------------------------------------------------------------------
// Language (RFC 4647 §3.4 lookup)

TEST_CASE("the banner speaks the visitor's preferred language the notice has", "[core][banner][language]") {
    const Notice n = shop_notice();  // en (default), de, ar
    const auto [preferred, expected] = GENERATE(table<Strings, std::string>({
        {Strings{"de"}, "de"},
        {Strings{"en"}, "en"},
        {Strings{"ar"}, "ar"},
        {Strings{"DE"}, "de"},
        {Strings{"de-AT"}, "de"},
        {Strings{"De-at"}, "de"},
        {Strings{"de-Latn-AT"}, "de"},
        {Strings{"ar-EG"}, "ar"},
        {Strings{"fr"}, "en"},
        {Strings{"zh-Hant-TW"}, "en"},
        {Strings{}, "en"},
        {Strings{""}, "en"},
        {Strings{"fr", "de"}, "de"},
        {Strings{"fr-CA", "ar-EG", "de"}, "ar"},
        {Strings{"de", "ar"}, "de"},
        {Strings{"ar", "de"}, "ar"},
        {Strings{"en-GB", "de"}, "en"},
    }));
    CAPTURE(preferred);
    CHECK(consent::choose_language(n, preferred) == expected);
}

TEST_CASE("language lookup returns the notice's own spelling and never widens the notice's tag",
          "[core][banner][language]") {
    const Notice n = parsed(with_language(shop_notice_json(), "pt-BR"));
    const auto [preferred, expected] = GENERATE(table<Strings, std::string>({
        {Strings{"pt-BR"}, "pt-BR"},
        {Strings{"pt-br"}, "pt-BR"},
        {Strings{"PT-BR-x"}, "pt-BR"},
        // Lookup shortens the visitor's tag, not the notice's: "pt" is not "pt-BR".
        {Strings{"pt"}, "en"},
        {Strings{"pt-PT"}, "en"},
    }));
    CAPTURE(preferred);
    CHECK(consent::choose_language(n, preferred) == expected);
}

TEST_CASE("a notice whose default is not English falls back to its own default", "[core][banner][language]") {
    json j = shop_notice_json();
    j["languages"] = json::array({"de", "en", "ar"});
    const Notice n = parsed(j);
    CHECK(consent::choose_language(n, {"fr"}) == "de");
    CHECK(consent::banner_view(context_for(n), {"fr"}, {}).title == "Ihre Datenschutz-Einstellungen");
}

TEST_CASE("the view carries the texts of the chosen language", "[core][banner]") {
    const Notice n = shop_notice();
    const BannerView v = consent::banner_view(context_for(n), {"de-CH"}, {});
    CHECK(v.language == "de");
    CHECK(v.title == "Ihre Datenschutz-Einstellungen");
    CHECK(v.body == n.texts.at("de").body);
    CHECK(purpose(v, "analytics").title == "Reichweitenmessung");
    CHECK(purpose(v, "marketing").description == n.find_purpose("marketing")->texts.at("de").description);
    CHECK(v.controller_name == "Velo GmbH");
    CHECK(v.controller_contact == "privacy@velo.example");
    CHECK(v.policy_url == "https://velo.example/privacy");
}

TEST_CASE("an Arabic banner is laid out right to left", "[core][banner][language]") {
    const Notice n = shop_notice();
    const auto [preferred, dir] = GENERATE(table<std::string, std::string>(
        {{"ar", "rtl"}, {"ar-EG", "rtl"}, {"de", "ltr"}, {"en", "ltr"}, {"fr", "ltr"}}));
    CAPTURE(preferred);
    CHECK(consent::banner_view(context_for(n), {preferred}, {}).dir == dir);
}

TEST_CASE("text_direction knows the right-to-left scripts", "[core][banner][language]") {
    const auto [language, dir] = GENERATE(table<std::string, std::string>({{"ar", "rtl"},
                                                                           {"he", "rtl"},
                                                                           {"fa-IR", "rtl"},
                                                                           {"ur", "rtl"},
                                                                           {"AR", "rtl"},
                                                                           {"en", "ltr"},
                                                                           {"de-AT", "ltr"},
                                                                           {"arn", "ltr"},
                                                                           {"", "ltr"}}));
    CAPTURE(language);
    CHECK(consent::text_direction(language) == dir);
}

// ---------------------------------------------------------------------------
// Switches (CJEU C-673/17 Planet49: a pre-ticked box is not consent)

TEST_CASE("every consent switch starts off and can be turned on since a pre-ticked box is not consent",
          "[core][banner][planet49]") {
    const Notice n = shop_notice();
    const std::string language = GENERATE(as<std::string>{}, "en", "de", "ar");
    CAPTURE(language);
    const BannerView v = consent::banner_view(context_for(n), {language}, {});
    CHECK(v.prompt);
    REQUIRE(v.purposes.size() == 3);
    for (const auto& p : v.purposes) {
        CAPTURE(p.id);
        if (p.necessary) continue;
        CHECK_FALSE(p.checked);
        CHECK(p.toggleable);
        CHECK_FALSE(p.gpc_locked);
    }
}

TEST_CASE("a necessary purpose is shown always on and is not a switch", "[core][banner]") {
    const Notice n = shop_notice();
    SubjectState refused;
    record(refused, n, Method::reject_all);
    const SubjectState none;
    for (const SubjectState* state : std::vector<const SubjectState*>{&none, &refused}) {
        CAPTURE(state->size());
        const BannerView v = consent::banner_view(context_for(n), {"en"}, *state);
        const PurposeView& p = purpose(v, "necessary");
        CHECK(p.necessary);
        CHECK(p.checked);
        CHECK_FALSE(p.toggleable);
    }
}

TEST_CASE("the purposes are shown in the notice's order with their services", "[core][banner]") {
    const Notice n = shop_notice();
    const BannerView v = consent::banner_view(context_for(n), {"en"}, {});
    REQUIRE(v.purposes.size() == 3);
    CHECK(v.purposes[0].id == "necessary");
    CHECK(v.purposes[1].id == "analytics");
    CHECK(v.purposes[2].id == "marketing");
    const PurposeView& m = purpose(v, "marketing");
    REQUIRE(m.services.size() == 1);
    CHECK(m.services[0].name == "AdPartner Pixel");
    CHECK(m.services[0].provider == "AdPartner Inc.");
    CHECK(m.services[0].third_party);
    REQUIRE(m.services[0].cookies.size() == 1);
    CHECK(m.services[0].cookies[0].name == "_ad_uid");
    CHECK(m.services[0].cookies[0].lifetime_days == 390);
}

TEST_CASE("reopening the choices after a grant shows that switch on and the others off", "[core][banner]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, n, Method::custom, {{"analytics", true}});
    const BannerView v = consent::banner_view(context_for(n, kNow + days(1)), {"en"}, state);
    CHECK_FALSE(v.prompt);
    CHECK(purpose(v, "analytics").checked);
    CHECK(purpose(v, "analytics").toggleable);
    CHECK_FALSE(purpose(v, "marketing").checked);
}

TEST_CASE("a switch is off again once its grant no longer holds", "[core][banner]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, n, Method::accept_all);
    SECTION("after a withdrawal (Art. 7(3))") {
        record(state, n, Method::withdraw, {}, {"analytics"});
        const BannerView v = consent::banner_view(context_for(n), {"en"}, state);
        CHECK_FALSE(purpose(v, "analytics").checked);
        CHECK(purpose(v, "marketing").checked);
        CHECK_FALSE(v.prompt);
    }
    SECTION("after the grant expired") {
        const BannerView v = consent::banner_view(context_for(n, kNow + days(181)), {"en"}, state);
        CHECK_FALSE(purpose(v, "analytics").checked);
        CHECK_FALSE(purpose(v, "marketing").checked);
        CHECK(v.prompt);
    }
    SECTION("after a material notice change") {
        const PolicyContext changed{n, n.version + 1, kNow, false};
        const BannerView v = consent::banner_view(changed, {"en"}, state);
        CHECK_FALSE(purpose(v, "analytics").checked);
        CHECK(v.prompt);
    }
}

// CCPA regulations §7025: GPC is honoured as an opt-out of sale/sharing.
TEST_CASE("GPC locks sale/sharing purposes off and says so", "[core][banner][gpc]") {
    const Notice n = shop_notice();
    SubjectState granted;
    record(granted, n, Method::accept_all);
    const SubjectState none;
    for (const SubjectState* state : std::vector<const SubjectState*>{&none, &granted}) {
        CAPTURE(state->size());
        const BannerView v = consent::banner_view(context_for(n, kNow, true), {"en"}, *state);
        CHECK(v.gpc_applied);
        const PurposeView& m = purpose(v, "marketing");
        CHECK(m.gpc_locked);
        CHECK_FALSE(m.checked);
        CHECK_FALSE(m.toggleable);
        CHECK_FALSE(purpose(v, "analytics").gpc_locked);
        CHECK(purpose(v, "analytics").toggleable);
        CHECK(purpose(v, "analytics").checked == (state == &granted));
    }
}

TEST_CASE("without GPC nothing is locked and gpc_applied is false", "[core][banner][gpc]") {
    const Notice n = shop_notice();
    const BannerView v = consent::banner_view(context_for(n), {"en"}, {});
    CHECK_FALSE(v.gpc_applied);
    for (const auto& p : v.purposes) CHECK_FALSE(p.gpc_locked);
}

// ---------------------------------------------------------------------------
// Labels

TEST_CASE("every control label is present and comes from the built-in table", "[core][banner][labels]") {
    const Notice n = shop_notice();
    const auto [language, accept, reject] = GENERATE(table<std::string, std::string, std::string>({
        {"en", "Accept all", "Reject all"},
        {"de", "Alle akzeptieren", "Alle ablehnen"},
        {"ar", "قبول الكل", "رفض الكل"},
    }));
    CAPTURE(language);
    const BannerView v = consent::banner_view(context_for(n), {language}, {});
    REQUIRE(v.labels.size() == consent::label_keys().size());
    for (const auto& key : consent::label_keys()) {
        CAPTURE(key);
        REQUIRE(v.labels.count(key) == 1);
        CHECK_FALSE(v.labels.at(key).empty());
        CHECK(v.labels.at(key) == consent::builtin_label(language, key));
    }
    // EDPB taskforce 2023: "Reject all" is offered on the same layer as "Accept all".
    CHECK(v.labels.at("accept_all") == accept);
    CHECK(v.labels.at("reject_all") == reject);
}

TEST_CASE("a notice's label override wins over the built-in label, in its language only", "[core][banner][labels]") {
    json j = shop_notice_json();
    j["texts"]["de"]["labels"] = {{"accept_all", "Alles erlauben"}, {"reject_all", "Nichts erlauben"}};
    const Notice n = parsed(j);
    const BannerView de = consent::banner_view(context_for(n), {"de"}, {});
    CHECK(de.labels.at("accept_all") == "Alles erlauben");
    CHECK(de.labels.at("reject_all") == "Nichts erlauben");
    CHECK(de.labels.at("save") == "Auswahl speichern");
    const BannerView en = consent::banner_view(context_for(n), {"en"}, {});
    CHECK(en.labels.at("accept_all") == "Accept all");
}

TEST_CASE("built-in labels are found by the primary language subtag, ignoring case", "[core][banner][labels]") {
    const std::string language = GENERATE(as<std::string>{}, "de", "de-AT", "DE", "de-Latn-CH");
    CAPTURE(language);
    CHECK(consent::builtin_label(language, "accept_all") == "Alle akzeptieren");
    CHECK(consent::builtin_label(language, "reject_all") == "Alle ablehnen");
    const Notice n = parsed(with_language(shop_notice_json(), "de-AT"));
    CHECK(consent::banner_view(context_for(n), {"de-AT"}, {}).labels.at("save") == "Auswahl speichern");
}

TEST_CASE("a language without built-in labels gets the English ones", "[core][banner][labels]") {
    const Notice n = parsed(with_language(shop_notice_json(), "nl"));
    const BannerView v = consent::banner_view(context_for(n), {"nl-BE"}, {});
    CHECK(v.language == "nl");
    CHECK(v.labels.at("accept_all") == "Accept all");
    CHECK(v.labels.at("reject_all") == "Reject all");
    CHECK(consent::builtin_label("nl", "nope").empty());
}

// ---------------------------------------------------------------------------
// JSON form, as the browser receives it

TEST_CASE("banner_view_to_json has the keys the browser reads", "[core][banner][json]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, n, Method::custom, {{"analytics", true}});
    const BannerView v = consent::banner_view(context_for(n, kNow, true), {"ar"}, state);
    const json j = consent::banner_view_to_json(v);
    CHECK(keys_of(j) == std::set<std::string>{"language", "dir", "title", "body", "labels", "controller", "policy_url",
                                              "gpc_applied", "prompt", "purposes"});
    CHECK(j.at("language") == "ar");
    CHECK(j.at("dir") == "rtl");
    CHECK(j.at("title") == v.title);
    CHECK(j.at("body") == v.body);
    CHECK(j.at("policy_url") == "https://velo.example/privacy");
    CHECK(j.at("gpc_applied") == true);
    CHECK(j.at("prompt") == false);
    CHECK(j.at("controller") == json{{"name", "Velo GmbH"}, {"contact", "privacy@velo.example"}});
    CHECK(keys_of(j.at("labels")) == std::set<std::string>(consent::label_keys().begin(), consent::label_keys().end()));
    REQUIRE(j.at("purposes").size() == 3);
    const json& analytics = j.at("purposes").at(1);
    CHECK(keys_of(analytics) == std::set<std::string>{"id", "title", "description", "necessary", "toggleable",
                                                      "checked", "gpc_locked", "services"});
    CHECK(analytics.at("id") == "analytics");
    CHECK(analytics.at("checked") == true);
    CHECK(analytics.at("toggleable") == true);
    const json& marketing = j.at("purposes").at(2);
    CHECK(marketing.at("gpc_locked") == true);
    CHECK(marketing.at("checked") == false);
    const json& service = marketing.at("services").at(0);
    CHECK(keys_of(service) == std::set<std::string>{"name", "provider", "third_party", "cookies"});
    CHECK(service.at("cookies") == json::array({{{"name", "_ad_uid"}, {"lifetime_days", 390}}}));
    CHECK(j.at("purposes").at(0).at("necessary") == true);
}
