// The table every backend mirror answers from (C++ natively, Python through
// the shared library): folding receipts in log order, answering as consentd's
// checks do, and naming the receipts a backend must acknowledge.
#include <catch2/catch.hpp>

#include <string>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/consent/state_table.hpp"
#include "fixtures.hpp"

namespace {

using consent::Method;
using consent::StateTable;
using consent::test::kNow;
using consent::test::shop_notice;
using consent::test::test_decision;
namespace reason = consent::reason;

StateTable shop_table() {
    StateTable table;
    table.set_notice(shop_notice(), 3);
    return table;
}

}  // namespace

TEST_CASE("the table answers as the policy does over the states it folded", "[core][state_table]") {
    StateTable table = shop_table();
    const auto n = shop_notice();
    CHECK_FALSE(table.verdict("ann", "analytics", kNow).allowed);
    CHECK(table.verdict("ann", "analytics", kNow).reason == reason::no_decision);
    CHECK(table.verdict("ann", "necessary", kNow).allowed);

    CHECK_FALSE(table.apply("ann", test_decision(n, Method::accept_all), kNow, "r1"));
    const auto granted = table.verdict("ann", "analytics", kNow + 1);
    CHECK(granted.allowed);
    CHECK(granted.reason == reason::granted);
    CHECK(granted.receipt_id == "r1");
    CHECK(table.verdict("bob", "analytics", kNow + 1).reason == reason::no_decision);  // one subject only
    CHECK(table.verdict("ann", "no_such_purpose", kNow).reason == reason::unknown_purpose);
    CHECK(table.subjects() == 1);

    // The same expiry as consentd's checks: the core's rule, at the time passed in.
    consent::SubjectState folded;
    consent::apply_decision(folded, test_decision(n, Method::accept_all), kNow, "r1");
    const consent::PolicyContext later{n, 3, kNow + consent::test::days(400), false};
    CHECK(table.verdict("ann", "analytics", kNow + consent::test::days(400)).reason ==
          consent::is_allowed(later, "analytics", folded).reason);
}

TEST_CASE("the table names the receipts a backend must acknowledge", "[core][state_table][withdraw]") {
    StateTable table = shop_table();
    const auto n = shop_notice();
    // A withdrawal is acknowledged even when nothing was granted (the operator view counts each one).
    CHECK(table.apply("cy", test_decision(n, Method::withdraw, {}, {"analytics"}), kNow, "w0"));
    CHECK_FALSE(table.apply("ann", test_decision(n, Method::accept_all), kNow, "r1"));
    // A refusal that ends a grant must be acknowledged too: processing has to stop.
    CHECK(table.apply("ann", test_decision(n, Method::reject_all), kNow + 1, "r2"));
    CHECK_FALSE(table.verdict("ann", "analytics", kNow + 2).allowed);
    // A refusal after a refusal ends nothing.
    CHECK_FALSE(table.apply("ann", test_decision(n, Method::reject_all), kNow + 3, "r3"));
    CHECK(table.apply("ann", test_decision(n, Method::accept_all), kNow + 4, "r4") == false);
    CHECK(table.apply("ann", test_decision(n, Method::withdraw, {}, {"marketing"}), kNow + 5, "r5"));
    CHECK(table.verdict("ann", "analytics", kNow + 6).allowed);
    CHECK_FALSE(table.verdict("ann", "marketing", kNow + 6).allowed);
}

TEST_CASE("a snapshot row replaces a subject's state, and a new notice applies to every answer",
          "[core][state_table]") {
    StateTable table;
    CHECK_FALSE(table.has_notice());
    CHECK_FALSE(table.verdict("ann", "necessary", kNow).allowed);  // nothing loaded: nothing allowed
    table.set_notice(shop_notice(), 3);
    const auto n = shop_notice();
    consent::SubjectState state;
    consent::apply_decision(state, test_decision(n, Method::accept_all), kNow, "r1");
    table.put_state("ann", state);
    CHECK(table.verdict("ann", "marketing", kNow).allowed);
    table.put_state("ann", {});
    CHECK_FALSE(table.verdict("ann", "marketing", kNow).allowed);

    table.put_state("ann", state);
    auto v4 = shop_notice();
    v4.version = 4;
    table.set_notice(v4, 4);  // a material change: earlier grants no longer count
    CHECK(table.notice_version() == 4);
    CHECK(table.verdict("ann", "marketing", kNow).reason == reason::notice_changed);
}

TEST_CASE("a forgotten (erased) subject answers no_decision, and the others keep their states",
          "[core][state_table][erasure]") {
    StateTable table = shop_table();
    const auto n = shop_notice();
    table.apply("ann", test_decision(n, Method::accept_all), kNow, "r1");
    table.apply("bob", test_decision(n, Method::accept_all), kNow, "r2");
    REQUIRE(table.verdict("ann", "analytics", kNow + 1).allowed);
    CHECK(table.forget("ann"));
    CHECK_FALSE(table.forget("ann"));  // already gone: nothing held
    CHECK_FALSE(table.forget("nobody"));
    const auto erased = table.verdict("ann", "analytics", kNow + 1);
    CHECK_FALSE(erased.allowed);
    CHECK(erased.reason == reason::no_decision);
    CHECK(table.verdict("bob", "analytics", kNow + 1).allowed);
    CHECK(table.subjects() == 1);
}
