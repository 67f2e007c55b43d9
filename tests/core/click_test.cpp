// What a click on the banner records (click.hpp): the rules the banner asks
// the core for, natively and as wasm.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "consent/banner/click.hpp"
#include "consent/banner/click_outcome.hpp"
#include "consent/consent/policy.hpp"
#include "fixtures.hpp"

namespace {

using consent::Click;
using consent::Method;
using consent::PolicyContext;
using consent::SubjectState;
using consent::test::kNow;
using Choices = std::map<std::string, bool>;

SubjectState granted(const consent::Notice& n, Choices choices) {
    SubjectState state;
    consent::apply_decision(state, consent::test::test_decision(n, Method::custom, std::move(choices)), kNow - 60,
                            "rcpt_test");
    return state;
}

}  // namespace

TEST_CASE("accept and reject record accept_all and reject_all, with nothing else", "[core][click]") {
    const auto n = consent::test::shop_notice();
    const PolicyContext ctx{n, 3, kNow, false};
    const auto accept = consent::click_record(ctx, {}, Click::accept, {{"analytics", false}});
    CHECK(accept.method == Method::accept_all);
    CHECK(accept.choices.empty());
    CHECK(consent::click_record(ctx, {}, Click::reject, {}).method == Method::reject_all);
}

TEST_CASE("a save records the switches of the consent purposes as a custom choice", "[core][click]") {
    const auto n = consent::test::shop_notice();
    const PolicyContext ctx{n, 3, kNow, false};
    const auto r =
        consent::click_record(ctx, {}, Click::save, {{"analytics", true}, {"marketing", false}, {"necessary", true}});
    CHECK(r.method == Method::custom);
    CHECK(r.choices == Choices{{"analytics", true}, {"marketing", false}});
}

TEST_CASE("a save that only switches allowed purposes off withdraws exactly those", "[core][click]") {
    const auto n = consent::test::shop_notice();
    const PolicyContext ctx{n, 3, kNow, false};
    const auto state = granted(n, {{"analytics", true}, {"marketing", true}});
    const auto r = consent::click_record(ctx, state, Click::save, {{"analytics", true}, {"marketing", false}});
    CHECK(r.method == Method::withdraw);
    CHECK(r.purposes == std::vector<std::string>{"marketing"});
    // Switching one off and another on is a new choice, not a withdrawal.
    const auto partly = granted(n, {{"analytics", true}});
    const auto both = consent::click_record(ctx, partly, Click::save, {{"analytics", false}, {"marketing", true}});
    CHECK(both.method == Method::custom);
}

TEST_CASE("under GPC every click records method gpc, and sale/sharing purposes cannot be chosen", "[core][click]") {
    const auto n = consent::test::shop_notice();
    const PolicyContext ctx{n, 3, kNow, true};
    const auto accept = consent::click_record(ctx, {}, Click::accept, {});
    CHECK(accept.method == Method::gpc);
    CHECK(accept.choices == Choices{{"analytics", true}});
    const auto reject = consent::click_record(ctx, {}, Click::reject, {});
    CHECK(reject.method == Method::gpc);
    CHECK(reject.choices == Choices{{"analytics", false}});
    const auto save = consent::click_record(ctx, {}, Click::save, {{"analytics", true}, {"marketing", true}});
    CHECK(save.method == Method::gpc);
    CHECK(save.choices == Choices{{"analytics", true}});
}

TEST_CASE("a first-layer click's outcome is what the policy allows once its decision holds", "[core][click]") {
    const auto n = consent::test::shop_notice();
    const std::string hash = consent::notice_content_hash(n);
    const bool gpc = GENERATE(false, true);
    CAPTURE(gpc);
    const PolicyContext ctx{n, 3, kNow, gpc};
    const auto accepted = consent::click_outcome(ctx, hash, {}, consent::click_record(ctx, {}, Click::accept, {}));
    REQUIRE(accepted.ok());
    CHECK(accepted->allowed ==
          std::map<std::string, bool>{{"necessary", true}, {"analytics", true}, {"marketing", !gpc}});
    CHECK(accepted->consent_mode.at("analytics_storage") == "granted");
    CHECK(accepted->consent_mode.at("ad_storage") == (gpc ? "denied" : "granted"));
    const auto rejected = consent::click_outcome(ctx, hash, {}, consent::click_record(ctx, {}, Click::reject, {}));
    REQUIRE(rejected.ok());
    CHECK(rejected->allowed ==
          std::map<std::string, bool>{{"necessary", true}, {"analytics", false}, {"marketing", false}});
    CHECK(rejected->consent_mode.at("analytics_storage") == "denied");
    // A record the notice does not accept is the decision's error, not an outcome.
    consent::ClickRecord unknown;
    unknown.method = gpc ? Method::gpc : Method::custom;
    unknown.choices = {{"tracking", true}};
    const auto wrong = consent::click_outcome(ctx, hash, {}, unknown);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == "decision.unknown_purpose");
}
