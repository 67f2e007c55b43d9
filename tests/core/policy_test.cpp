#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "fixtures.hpp"

namespace {

using consent::Decision;
using consent::DecisionRequest;
using consent::Method;
using consent::Notice;
using consent::PolicyContext;
using consent::SubjectState;
using consent::Verdict;
using consent::test::days;
using consent::test::kNow;
using consent::test::shop_notice;
using consent::test::shop_notice_json;
using nlohmann::json;
namespace reason = consent::reason;

using Strings = std::vector<std::string>;

// Version 3 of the shop notice is its first material version: earlier choices
// on it are current.
PolicyContext context_for(const Notice& notice, std::int64_t now = kNow, bool gpc = false) {
    return PolicyContext{notice, consent::last_material_version({notice}, notice.version), now, gpc};
}

Decision decision(const Notice& notice, Method method, std::map<std::string, bool> choices = {},
                  Strings withdraw = {}) {
    return consent::test::test_decision(notice, method, std::move(choices), std::move(withdraw));
}

// Records d as the server would: in order, at server time `at`, with its receipt id.
void record(SubjectState& state, const Decision& d, std::int64_t at, const std::string& receipt_id) {
    consent::apply_decision(state, d, at, receipt_id);
}

// The shop notice published again as `version`, optionally with one more purpose.
Notice republished(std::int64_t version, bool material, bool with_new_purpose = false) {
    json j = shop_notice_json();
    j["version"] = version;
    j["material"] = material;
    if (with_new_purpose) {
        json p = j["purposes"][1];
        p["id"] = "personalisation";
        p["consent_mode"] = json::array({"personalization_storage"});
        j["purposes"].push_back(p);
    }
    auto parsed = consent::parse_notice(j);
    if (!parsed) FAIL("republished notice invalid: " << parsed.error().code << " at " << parsed.error().path);
    return std::move(parsed).value();
}

void check_verdict(const Verdict& v, bool allowed, std::string_view why, const std::string& receipt_id) {
    CHECK(v.allowed == allowed);
    CHECK(v.reason == why);
    CHECK(v.receipt_id == receipt_id);
}

}  // namespace

// ---------------------------------------------------------------------------
// is_allowed

// EDPB Guidelines 05/2020; CNIL 2020: silence or closing the banner is not consent.
TEST_CASE("no purpose that needs consent is allowed without a decision", "[core][policy]") {
    const Notice n = shop_notice();
    const SubjectState nothing;
    const std::string purpose = GENERATE(as<std::string>{}, "analytics", "marketing");
    CAPTURE(purpose);
    check_verdict(consent::is_allowed(context_for(n), purpose, nothing), false, reason::no_decision, "");
}

TEST_CASE("a purpose is allowed only by an explicit grant, and a refusal denies it", "[core][policy]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::reject_all), kNow, "r1");
    check_verdict(consent::is_allowed(context_for(n), "analytics", state), false, reason::denied, "r1");
    record(state, decision(n, Method::accept_all), kNow + 10, "r2");
    check_verdict(consent::is_allowed(context_for(n), "analytics", state), true, reason::granted, "r2");
}

// EDPB 05/2020: specific and granular, not bundled.
TEST_CASE("granting one purpose allows only that one (granular consent)", "[core][policy]") {
    const Notice n = shop_notice();
    const std::string chosen = GENERATE(as<std::string>{}, "analytics", "marketing");
    const std::string other = chosen == "analytics" ? "marketing" : "analytics";
    CAPTURE(chosen);
    SubjectState state;
    record(state, decision(n, Method::custom, {{chosen, true}}), kNow, "r1");
    check_verdict(consent::is_allowed(context_for(n), chosen, state), true, reason::granted, "r1");
    check_verdict(consent::is_allowed(context_for(n), other, state), false, reason::denied, "r1");
}

// GDPR Art. 7(3), 17(1)(b): a withdrawal stops processing at once.
TEST_CASE("a withdrawal after a grant denies the purpose (Art. 7(3))", "[core][policy][withdraw]") {
    const Notice n = shop_notice();
    const auto method = GENERATE(Method::withdraw, Method::server_withdraw);
    CAPTURE(consent::to_string(method));
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    record(state, decision(n, method, {}, {"analytics"}), kNow + 1, "r2");
    check_verdict(consent::is_allowed(context_for(n, kNow + 1), "analytics", state), false, reason::withdrawn, "r2");
    // Only what was withdrawn: the other grant still stands.
    check_verdict(consent::is_allowed(context_for(n, kNow + 1), "marketing", state), true, reason::granted, "r1");
}

// Issue #11: a withdrawal stops processing from the moment the server has it,
// not from its commit; a grant in flight allows nothing until it is durable.
TEST_CASE("a withdrawal still being written denies at once, and a grant in flight allows nothing yet",
          "[core][policy][withdraw]") {
    const Notice n = shop_notice();
    SubjectState committed;
    record(committed, decision(n, Method::accept_all), kNow, "r1");
    const PolicyContext ctx = context_for(n, kNow + 1);
    const auto method = GENERATE(Method::withdraw, Method::server_withdraw);
    CAPTURE(consent::to_string(method));
    const SubjectState pending =
        consent::with_pending_denials(committed, {decision(n, method, {}, {"analytics"})}, kNow + 1);
    check_verdict(consent::is_allowed(ctx, "analytics", pending), false, reason::withdrawn, "");
    check_verdict(consent::is_allowed(ctx, "marketing", pending), true, reason::granted, "r1");
    // Nothing in flight: the committed state as it is.
    check_verdict(consent::is_allowed(ctx, "analytics", consent::with_pending_denials(committed, {}, kNow + 1)), true,
                  reason::granted, "r1");

    SubjectState refused;
    record(refused, decision(n, Method::reject_all), kNow, "r1");
    const SubjectState granting = consent::with_pending_denials(refused, {decision(n, Method::accept_all)}, kNow + 1);
    check_verdict(consent::is_allowed(ctx, "analytics", granting), false, reason::denied, "r1");
    // A rejection in flight behind a grant in flight still denies.
    const SubjectState both = consent::with_pending_denials(
        committed, {decision(n, Method::accept_all), decision(n, Method::reject_all)}, kNow + 1);
    check_verdict(consent::is_allowed(ctx, "marketing", both), false, reason::denied, "");
}

TEST_CASE("a withdrawal of everything denies every consent purpose but not necessary ones",
          "[core][policy][withdraw]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    record(state, decision(n, Method::withdraw), kNow + 1, "r2");
    const PolicyContext ctx = context_for(n, kNow + 1);
    check_verdict(consent::is_allowed(ctx, "analytics", state), false, reason::withdrawn, "r2");
    check_verdict(consent::is_allowed(ctx, "marketing", state), false, reason::withdrawn, "r2");
    check_verdict(consent::is_allowed(ctx, "necessary", state), true, reason::necessary, "");
}

TEST_CASE("the later of two decisions wins, whichever way it goes", "[core][policy]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    record(state, decision(n, Method::withdraw, {}, {"analytics"}), kNow + 1, "r2");
    record(state, decision(n, Method::custom, {{"analytics", true}}), kNow + 2, "r3");
    check_verdict(consent::is_allowed(context_for(n, kNow + 2), "analytics", state), true, reason::granted, "r3");
    // The custom decision named marketing too (denied, since not chosen).
    check_verdict(consent::is_allowed(context_for(n, kNow + 2), "marketing", state), false, reason::denied, "r3");
}

// EDPB 05/2020: consent is specific to what was said.
TEST_CASE("a material notice version invalidates earlier choices (notice_changed)", "[core][policy][version]") {
    const Notice v3 = shop_notice();
    const Notice v4 = republished(4, true);
    SubjectState state;
    record(state, decision(v3, Method::accept_all), kNow, "r1");
    const PolicyContext ctx{v4, consent::last_material_version({v3, v4}, 4), kNow + 1, false};
    REQUIRE(ctx.last_material_version == 4);
    check_verdict(consent::is_allowed(ctx, "analytics", state), false, reason::notice_changed, "r1");
    check_verdict(consent::is_allowed(ctx, "marketing", state), false, reason::notice_changed, "r1");
    check_verdict(consent::is_allowed(ctx, "necessary", state), true, reason::necessary, "");
}

TEST_CASE("a non-material notice version (a typo fix) keeps earlier choices", "[core][policy][version]") {
    const Notice v3 = shop_notice();
    const Notice v4 = republished(4, false);
    SubjectState state;
    record(state, decision(v3, Method::custom, {{"analytics", true}}), kNow, "r1");
    const PolicyContext ctx{v4, consent::last_material_version({v3, v4}, 4), kNow + 1, false};
    REQUIRE(ctx.last_material_version == 3);
    check_verdict(consent::is_allowed(ctx, "analytics", state), true, reason::granted, "r1");
    check_verdict(consent::is_allowed(ctx, "marketing", state), false, reason::denied, "r1");
}

TEST_CASE("a grant recorded for another notice does not count", "[core][policy][version]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    state["analytics"].notice_id = "other-shop";
    check_verdict(consent::is_allowed(context_for(n), "analytics", state), false, reason::notice_changed, "r1");
}

// CNIL 2020: ask again after a while (about six months).
TEST_CASE("a grant expires after the purpose's max_age_days", "[core][policy][expiry]") {
    const Notice n = shop_notice();
    REQUIRE(n.find_purpose("analytics")->max_age_days == 180);
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    check_verdict(consent::is_allowed(context_for(n, kNow + days(180)), "analytics", state), true, reason::granted,
                  "r1");
    check_verdict(consent::is_allowed(context_for(n, kNow + days(180) + 1), "analytics", state), false, reason::expired,
                  "r1");
}

TEST_CASE("an expired grant asks again for that purpose", "[core][policy][expiry]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::custom, {{"analytics", true}}), kNow, "r1");
    const auto later = consent::needs_prompt(context_for(n, kNow + days(180) + 1), state);
    CHECK(later.needed);
    CHECK(later.reason == reason::expired);
    CHECK(later.purposes == Strings{"analytics", "marketing"});
}

// CNIL 2020: keep a refusal as long as configured, and ask again after it.
TEST_CASE("a refusal is asked again after refusal_max_age_days, not before", "[core][policy][expiry]") {
    const Notice n = shop_notice();
    REQUIRE(n.find_purpose("marketing")->refusal_max_age_days == 90);
    REQUIRE(n.find_purpose("analytics")->refusal_max_age_days == 180);
    SubjectState state;
    record(state, decision(n, Method::reject_all), kNow, "r1");
    const auto at_limit = consent::needs_prompt(context_for(n, kNow + days(90)), state);
    CHECK_FALSE(at_limit.needed);
    const auto past_marketing = consent::needs_prompt(context_for(n, kNow + days(90) + 1), state);
    CHECK(past_marketing.needed);
    CHECK(past_marketing.reason == reason::expired);
    CHECK(past_marketing.purposes == Strings{"marketing"});
    const auto past_both = consent::needs_prompt(context_for(n, kNow + days(180) + 1), state);
    CHECK(past_both.purposes == Strings{"analytics", "marketing"});
    // An old refusal never turns into permission.
    check_verdict(consent::is_allowed(context_for(n, kNow + days(400)), "marketing", state), false, reason::denied,
                  "r1");
}

TEST_CASE("a grant's age is measured by max_age_days even when the refusal age is shorter", "[core][policy][expiry]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    // marketing: refusal 90 days, grant 180 days.
    check_verdict(consent::is_allowed(context_for(n, kNow + days(91)), "marketing", state), true, reason::granted,
                  "r1");
    CHECK_FALSE(consent::needs_prompt(context_for(n, kNow + days(91)), state).needed);
}

// CCPA regulations §7025: GPC is an opt-out of sale/sharing.
TEST_CASE("GPC denies a sale/sharing purpose even after a grant", "[core][policy][gpc]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    const PolicyContext gpc = context_for(n, kNow, true);
    check_verdict(consent::is_allowed(gpc, "marketing", state), false, reason::gpc, "r1");
    // GPC does not touch purposes that are not sale/sharing.
    check_verdict(consent::is_allowed(gpc, "analytics", state), true, reason::granted, "r1");
    check_verdict(consent::is_allowed(gpc, "marketing", SubjectState{}), false, reason::gpc, "");
}

TEST_CASE("a purpose denied by a gpc decision reports gpc as the reason", "[core][policy][gpc]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::gpc, {{"analytics", true}}), kNow, "r1");
    // Even when the signal is absent on a later request, the recorded opt-out holds.
    check_verdict(consent::is_allowed(context_for(n), "marketing", state), false, reason::gpc, "r1");
    check_verdict(consent::is_allowed(context_for(n), "analytics", state), true, reason::granted, "r1");
}

TEST_CASE("a necessary purpose is always allowed", "[core][policy]") {
    const Notice n = shop_notice();
    const Notice v4 = republished(4, true);
    SubjectState refused;
    record(refused, decision(n, Method::reject_all), kNow, "r1");
    SubjectState withdrawn;
    record(withdrawn, decision(n, Method::accept_all), kNow, "r1");
    record(withdrawn, decision(n, Method::withdraw), kNow, "r2");
    const std::vector<std::pair<std::string, PolicyContext>> contexts{
        {"fresh", context_for(n)},
        {"gpc", context_for(n, kNow, true)},
        {"a year later", context_for(n, kNow + days(365))},
        {"after a material change", PolicyContext{v4, 4, kNow, false}},
    };
    const SubjectState nothing;
    for (const auto& [name, ctx] : contexts) {
        CAPTURE(name);
        for (const SubjectState* state : std::vector<const SubjectState*>{&nothing, &refused, &withdrawn}) {
            check_verdict(consent::is_allowed(ctx, "necessary", *state), true, reason::necessary, "");
        }
    }
}

TEST_CASE("an unknown purpose is denied, even with a recorded grant for it", "[core][policy]") {
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::accept_all), kNow, "r1");
    // A purpose that an older notice had and this one dropped.
    state["newsletter"] =
        consent::PurposeRecord{consent::PurposeState::granted, Method::accept_all, "bike-shop", 3, kNow, "r0"};
    const std::string purpose = GENERATE(as<std::string>{}, "newsletter", "Analytics", "", "analytics ");
    CAPTURE(purpose);
    check_verdict(consent::is_allowed(context_for(n), purpose, state), false, reason::unknown_purpose, "");
}

// ---------------------------------------------------------------------------
// needs_prompt

TEST_CASE("a first visit needs the banner for every consent purpose", "[core][policy][prompt]") {
    const auto v = consent::needs_prompt(context_for(shop_notice()), SubjectState{});
    CHECK(v.needed);
    CHECK(v.reason == reason::first_visit);
    CHECK(v.purposes == Strings{"analytics", "marketing"});
}

TEST_CASE("an answered notice is up to date, whether the answer was yes, no or a withdrawal",
          "[core][policy][prompt]") {
    const Notice n = shop_notice();
    const auto method = GENERATE(Method::accept_all, Method::reject_all, Method::custom, Method::gpc);
    CAPTURE(consent::to_string(method));
    SubjectState state;
    record(state, decision(n, method), kNow, "r1");
    auto v = consent::needs_prompt(context_for(n, kNow + days(30)), state);
    CHECK_FALSE(v.needed);
    CHECK(v.reason == reason::up_to_date);
    CHECK(v.purposes.empty());
    // A withdrawal is an answer too: the banner does not come back to ask again.
    record(state, decision(n, Method::withdraw), kNow + days(30), "r2");
    v = consent::needs_prompt(context_for(n, kNow + days(31)), state);
    CHECK_FALSE(v.needed);
    CHECK(v.reason == reason::up_to_date);
}

TEST_CASE("a purpose added in a later version is asked about on its own (new_purpose)", "[core][policy][prompt]") {
    const Notice v3 = shop_notice();
    const Notice v4 = republished(4, false, true);
    SubjectState state;
    record(state, decision(v3, Method::custom, {{"analytics", true}}), kNow, "r1");
    const PolicyContext ctx{v4, consent::last_material_version({v3, v4}, 4), kNow + days(1), false};
    const auto v = consent::needs_prompt(ctx, state);
    CHECK(v.needed);
    CHECK(v.reason == reason::new_purpose);
    CHECK(v.purposes == Strings{"personalisation"});
    // The earlier answers still hold meanwhile; the new purpose is off until granted.
    check_verdict(consent::is_allowed(ctx, "analytics", state), true, reason::granted, "r1");
    check_verdict(consent::is_allowed(ctx, "personalisation", state), false, reason::no_decision, "");
}

TEST_CASE("a material notice version shows the banner again (notice_changed)", "[core][policy][prompt]") {
    const Notice v3 = shop_notice();
    const Notice v4 = republished(4, true);
    SubjectState state;
    record(state, decision(v3, Method::reject_all), kNow, "r1");
    const PolicyContext ctx{v4, consent::last_material_version({v3, v4}, 4), kNow + days(1), false};
    const auto v = consent::needs_prompt(ctx, state);
    CHECK(v.needed);
    CHECK(v.reason == reason::notice_changed);
    CHECK(v.purposes == Strings{"analytics", "marketing"});
    // After answering the new version the banner is gone again.
    record(state, decision(v4, Method::reject_all), kNow + days(1), "r2");
    CHECK_FALSE(consent::needs_prompt(ctx, state).needed);
}

TEST_CASE("a typo-fix notice version does not show the banner again", "[core][policy][prompt]") {
    const Notice v3 = shop_notice();
    const Notice v4 = republished(4, false);
    SubjectState state;
    record(state, decision(v3, Method::accept_all), kNow, "r1");
    const PolicyContext ctx{v4, consent::last_material_version({v3, v4}, 4), kNow + days(1), false};
    const auto v = consent::needs_prompt(ctx, state);
    CHECK_FALSE(v.needed);
    CHECK(v.reason == reason::up_to_date);
}

TEST_CASE("the prompt reason is the first one found in notice order", "[core][policy][prompt]") {
    // analytics withdrawn long ago (expired); marketing never answered (new).
    const Notice n = shop_notice();
    SubjectState state;
    record(state, decision(n, Method::withdraw, {}, {"analytics"}), kNow, "r1");
    const auto v = consent::needs_prompt(context_for(n, kNow + days(181)), state);
    CHECK(v.needed);
    CHECK(v.reason == reason::expired);
    CHECK(v.purposes == Strings{"analytics", "marketing"});
}

// CCPA regulations §7025: GPC is itself the answer for sale/sharing.
TEST_CASE("a GPC-locked purpose is never asked about", "[core][policy][prompt][gpc]") {
    const Notice n = shop_notice();
    SECTION("on a first visit only the other purposes are asked") {
        const auto v = consent::needs_prompt(context_for(n, kNow, true), SubjectState{});
        CHECK(v.needed);
        CHECK(v.reason == reason::first_visit);
        CHECK(v.purposes == Strings{"analytics"});
    }
    SECTION("after a gpc decision nothing is asked, even once the refusal is old") {
        SubjectState state;
        record(state, decision(n, Method::gpc, {{"analytics", true}}), kNow, "r1");
        CHECK_FALSE(consent::needs_prompt(context_for(n, kNow + days(1), true), state).needed);
        CHECK(consent::needs_prompt(context_for(n, kNow + days(91), true), state).purposes.empty());
    }
    SECTION("a material change re-asks only what GPC does not answer") {
        SubjectState state;
        record(state, decision(n, Method::accept_all), kNow, "r1");
        const Notice v4 = republished(4, true);
        const PolicyContext ctx{v4, 4, kNow, true};
        CHECK(consent::needs_prompt(ctx, state).purposes == Strings{"analytics"});
    }
}
