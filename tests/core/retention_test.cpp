// Retention's rule in the core (consent/consent/retention.hpp): when a subject's
// records stop being in force, and when the site's period after that has
// passed. The clock is a parameter: these tests move it.
#include <catch2/catch.hpp>

#include <limits>

#include "consent/consent/retention.hpp"
#include "fixtures.hpp"

namespace {

using consent::test::days;
using consent::test::kNow;

consent::PurposeRecord record(consent::PurposeState state, std::int64_t at) {
    consent::PurposeRecord r;
    r.state = state;
    r.decided_at = at;
    return r;
}

}  // namespace

TEST_CASE("a subject's records are in force until the newest reaches the grant's maximum age", "[core][retention]") {
    const auto notice = consent::test::shop_notice();  // grants 180 days; a marketing refusal is asked again at 90
    consent::SubjectState state{{"analytics", record(consent::PurposeState::granted, kNow)}};
    CHECK(consent::in_force_until(notice, state) == kNow + days(180));
    // A later refusal of another purpose moves the end; an earlier one does not.
    state["marketing"] = record(consent::PurposeState::denied, kNow + days(10));
    CHECK(consent::in_force_until(notice, state) == kNow + days(190));
    state["marketing"] = record(consent::PurposeState::denied, kNow - days(10));
    CHECK(consent::in_force_until(notice, state) == kNow + days(180));
    CHECK(consent::in_force_until(notice, {}) == -1);
}

TEST_CASE("a refusal is kept as long as a grant would be, not only until it is asked again", "[core][retention]") {
    const auto notice = consent::test::shop_notice();
    const consent::SubjectState refused{{"marketing", record(consent::PurposeState::denied, kNow)}};
    CHECK(consent::in_force_until(notice, refused) == kNow + days(180));  // not the refusal's 90
    CHECK_FALSE(consent::retention_due(notice, refused, days(30), kNow + days(91)));
}

TEST_CASE("retention is due exactly the period after the records stop being in force", "[core][retention]") {
    const auto notice = consent::test::shop_notice();
    const consent::SubjectState state{{"analytics", record(consent::PurposeState::granted, kNow)}};
    CHECK_FALSE(consent::retention_due(notice, state, days(30), kNow + days(210) - 1));
    CHECK(consent::retention_due(notice, state, days(30), kNow + days(210)));
    CHECK(consent::retention_due(notice, state, 0, kNow + days(180)));
    CHECK_FALSE(consent::retention_due(notice, {}, 0, kNow + days(1000)));  // nothing to erase
    CHECK_FALSE(consent::retention_due(notice, state, -1, kNow + days(1000)));
}

TEST_CASE("a purpose the notice no longer has counts from its record's time alone", "[core][retention]") {
    const auto notice = consent::test::shop_notice();
    const consent::SubjectState state{{"retired_purpose", record(consent::PurposeState::granted, kNow)}};
    CHECK(consent::in_force_until(notice, state) == kNow);
}

TEST_CASE("a stored time that does not fit keeps the subject instead of erasing it", "[core][retention]") {
    const auto notice = consent::test::shop_notice();
    const consent::SubjectState state{
        {"analytics", record(consent::PurposeState::granted, std::numeric_limits<std::int64_t>::max() - 5)}};
    CHECK_FALSE(consent::retention_due(notice, state, days(30), std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(consent::retention_due(notice, state, 0, std::numeric_limits<std::int64_t>::max()));
}
