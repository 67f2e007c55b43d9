#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/banner/consent_mode.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "fixtures.hpp"

namespace {

using consent::Method;
using consent::Notice;
using consent::PolicyContext;
using consent::SubjectState;
using consent::test::kNow;
using consent::test::shop_notice;
using consent::test::shop_notice_json;
using nlohmann::json;

using ModeState = std::map<std::string, std::string>;

PolicyContext context_for(const Notice& notice, bool gpc = false) {
    return PolicyContext{notice, notice.version, kNow, gpc};
}

SubjectState after(const Notice& notice, Method method, std::map<std::string, bool> choices = {}) {
    SubjectState state;
    consent::apply_decision(state, consent::test::test_decision(notice, method, std::move(choices)), kNow, "r1");
    return state;
}

Notice parsed(const json& j) {
    auto n = consent::parse_notice(j);
    if (!n) FAIL("notice invalid: " << n.error().code << " at " << n.error().path);
    return std::move(n).value();
}

}  // namespace

// Consent Mode v2: nothing may report "granted" before the visitor answers.
TEST_CASE("consent mode defaults deny the four required types", "[core][consent_mode]") {
    const Notice n = shop_notice();
    const ModeState defaults = consent::consent_mode_defaults(context_for(n));
    for (const char* type : consent::kConsentModeRequiredTypes) {
        CAPTURE(type);
        REQUIRE(defaults.count(type) == 1);
        CHECK(defaults.at(type) == "denied");
    }
    // The shop's necessary purpose feeds security_storage, which needs no consent.
    CHECK(defaults.at("security_storage") == "granted");
    CHECK(defaults.size() == 5);
}

TEST_CASE("the four required types are present and denied even when no purpose maps to them", "[core][consent_mode]") {
    json j = shop_notice_json();
    for (auto& p : j["purposes"]) p.erase("consent_mode");
    const Notice n = parsed(j);
    const ModeState expected{{"ad_storage", "denied"},
                             {"analytics_storage", "denied"},
                             {"ad_user_data", "denied"},
                             {"ad_personalization", "denied"}};
    CHECK(consent::consent_mode_defaults(context_for(n)) == expected);
    // A type no purpose feeds stays denied whatever was granted (unknown means denied).
    CHECK(consent::consent_mode_state(context_for(n), after(n, Method::accept_all)) == expected);
}

TEST_CASE("after accept_all the analytics and ad types are granted", "[core][consent_mode]") {
    const Notice n = shop_notice();
    const ModeState state = consent::consent_mode_state(context_for(n), after(n, Method::accept_all));
    CHECK(state == ModeState{{"ad_storage", "granted"},
                             {"analytics_storage", "granted"},
                             {"ad_user_data", "granted"},
                             {"ad_personalization", "granted"},
                             {"security_storage", "granted"}});
}

TEST_CASE("after reject_all every consent type stays denied", "[core][consent_mode]") {
    const Notice n = shop_notice();
    CHECK(consent::consent_mode_state(context_for(n), after(n, Method::reject_all)) ==
          consent::consent_mode_defaults(context_for(n)));
}

TEST_CASE("granting analytics only grants analytics_storage and nothing for ads", "[core][consent_mode]") {
    const Notice n = shop_notice();
    const ModeState state =
        consent::consent_mode_state(context_for(n), after(n, Method::custom, {{"analytics", true}}));
    CHECK(state.at("analytics_storage") == "granted");
    CHECK(state.at("ad_storage") == "denied");
    CHECK(state.at("ad_user_data") == "denied");
    CHECK(state.at("ad_personalization") == "denied");
}

// CCPA regulations §7025: GPC opts out of sale/sharing, which the ad types report.
TEST_CASE("with GPC the ad types are denied even after accept_all", "[core][consent_mode][gpc]") {
    const Notice n = shop_notice();
    const ModeState state = consent::consent_mode_state(context_for(n, true), after(n, Method::accept_all));
    CHECK(state.at("ad_storage") == "denied");
    CHECK(state.at("ad_user_data") == "denied");
    CHECK(state.at("ad_personalization") == "denied");
    CHECK(state.at("analytics_storage") == "granted");
}

TEST_CASE("a type fed by two purposes is granted only when both are allowed", "[core][consent_mode]") {
    // analytics also feeds ad_storage here, next to marketing.
    json j = shop_notice_json();
    j["purposes"][1]["consent_mode"] = json::array({"analytics_storage", "ad_storage"});
    const Notice n = parsed(j);
    const auto [analytics, marketing, expected] = GENERATE(table<bool, bool, std::string>({
        {false, false, "denied"},
        {true, false, "denied"},
        {false, true, "denied"},
        {true, true, "granted"},
    }));
    CAPTURE(analytics, marketing);
    const ModeState state = consent::consent_mode_state(
        context_for(n), after(n, Method::custom, {{"analytics", analytics}, {"marketing", marketing}}));
    CHECK(state.at("ad_storage") == expected);
    CHECK(state.at("analytics_storage") == (analytics ? "granted" : "denied"));
}

TEST_CASE("a withdrawal turns the granted types back to denied", "[core][consent_mode][withdraw]") {
    const Notice n = shop_notice();
    SubjectState state = after(n, Method::accept_all);
    consent::Decision withdrawal;
    withdrawal.notice_id = n.notice_id;
    withdrawal.notice_version = n.version;
    withdrawal.method = Method::withdraw;
    withdrawal.purposes = {{"marketing", consent::PurposeState::denied}};
    consent::apply_decision(state, withdrawal, kNow + 1, "r2");
    const ModeState mode = consent::consent_mode_state(context_for(n), state);
    CHECK(mode.at("ad_storage") == "denied");
    CHECK(mode.at("ad_user_data") == "denied");
    CHECK(mode.at("ad_personalization") == "denied");
    CHECK(mode.at("analytics_storage") == "granted");
}
