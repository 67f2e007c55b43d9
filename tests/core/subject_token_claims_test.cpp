// The claims of a subject token are untrusted numbers: a site's backend (or
// anyone who found a signing bug) chooses iat and exp. Every edge is refused
// with a clear code, never computed with (issue #10: iat = INT64_MIN and
// exp = INT64_MAX once overflowed "exp - iat" and the token lived forever).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/consent/subject_trust.hpp"

namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

json claims(json iat, json exp) {
    return {{"site", "bike-shop"}, {"sub", "user-42"}, {"iat", std::move(iat)}, {"exp", std::move(exp)}};
}

std::string code_of(const json& payload, std::int64_t now = kNow) {
    const auto checked = consent::check_subject_token_claims(payload, "bike-shop", "user-42", now);
    return checked.ok() ? std::string("ok") : checked.error().code;
}

}  // namespace

TEST_CASE("a subject token living ten minutes from now is accepted", "[core][trust]") {
    CHECK(code_of(claims(kNow, kNow + 600)) == "ok");
    CHECK(code_of(claims(kNow + 60, kNow + 600)) == "ok");  // the backend's clock a minute ahead
}

TEST_CASE("subject token times at the ends of the 64-bit range are refused, never computed with", "[core][trust]") {
    struct Case {
        json iat;
        json exp;
        std::string code;
    };
    const auto c = GENERATE(values<Case>({
        {kMin, kMax, "subject.token_claims"},
        {kMin, kNow + 600, "subject.token_claims"},
        {kNow, kMax, "subject.token_claims"},
        {kMax, kMax, "subject.token_claims"},
        {kMin, kMin, "subject.token_claims"},
        {kMax, kMin, "subject.token_claims"},
        {-1, kNow + 600, "subject.token_claims"},
        {kNow, 253402300800, "subject.token_claims"},  // past 9999-12-31T23:59:59Z
        // Beyond int64: nlohmann holds these as unsigned, which must not wrap to negative.
        {std::numeric_limits<std::uint64_t>::max(), kNow + 600, "subject.token_claims"},
        {kNow, std::numeric_limits<std::uint64_t>::max(), "subject.token_claims"},
        {kNow, static_cast<std::uint64_t>(kMax) + 1, "subject.token_claims"},
        {1.5e300, kNow + 600, "subject.token_claims"},
        {kNow, 1e19, "subject.token_claims"},
    }));
    CAPTURE(c.iat.dump(), c.exp.dump());
    CHECK(code_of(claims(c.iat, c.exp)) == c.code);
}

TEST_CASE("a subject token whose exp is not after its iat is refused", "[core][trust]") {
    CHECK(code_of(claims(kNow + 30, kNow + 10)) == "subject.token_claims");
    CHECK(code_of(claims(kNow, kNow)) == "subject.token_claims");
}

TEST_CASE("a subject token is checked against any clock value without overflow", "[core][trust]") {
    // The clock is the server's, but the rule must hold for every value it can be given.
    CHECK(code_of(claims(kNow, kNow + 600), kMax) == "subject.token_expired");
    CHECK(code_of(claims(kNow, kNow + 600), kMin) == "subject.token_not_yet_valid");
    CHECK(code_of(claims(kNow, kNow + 600), kMax - 10) == "subject.token_expired");
    CHECK(code_of(claims(0, 600), 0) == "ok");
}

TEST_CASE("the one-hour lifetime of a subject token is exact at its edge", "[core][trust]") {
    CHECK(code_of(claims(kNow, kNow + consent::kSubjectTokenMaxLifetime)) == "ok");
    CHECK(code_of(claims(kNow, kNow + consent::kSubjectTokenMaxLifetime + 1)) == "subject.token_too_long_lived");
    CHECK(code_of(claims(kNow + consent::kClockSkewAllowance + 1, kNow + 600)) == "subject.token_not_yet_valid");
    CHECK(code_of(claims(kNow - 600, kNow)) == "subject.token_expired");
}
