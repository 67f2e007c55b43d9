// The claims of a subject token (core/include/consent/subject_trust.hpp). The
// token's signer picks iat and exp: any int64 must be judged, never overflow.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "consent/subject_trust.hpp"
#include "fixtures.hpp"

namespace {

using consent::test::kNow;
using nlohmann::json;

json claims(std::int64_t iat, std::int64_t exp) {
    return {{"site", "bike-shop"}, {"sub", "account-4711"}, {"iat", iat}, {"exp", exp}};
}

std::string verdict(const json& payload) {
    const auto s = consent::check_subject_token_claims(payload, "bike-shop", "account-4711", kNow);
    return s ? "ok" : s.error().code;
}

}  // namespace

TEST_CASE("a subject token valid for ten minutes from now is accepted", "[core][subject]") {
    CHECK(verdict(claims(kNow, kNow + 600)) == "ok");
}

TEST_CASE("a subject token living longer than an hour is refused however far apart iat and exp are",
          "[core][subject]") {
    const std::int64_t min = std::numeric_limits<std::int64_t>::min();
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    const std::int64_t far = std::int64_t{1} << 62;
    // exp - iat does not fit in 64 bits in all but the last two (found with tests/fuzz/subject_token_fuzz).
    const std::vector<std::pair<std::int64_t, std::int64_t>> lifetimes{
        {-far, far}, {min, kNow + 600}, {min, max}, {-1, max}, {kNow, max}, {kNow - 3601, kNow + 1}};
    for (const auto& [iat, exp] : lifetimes) {
        CAPTURE(iat, exp);
        CHECK(verdict(claims(iat, exp)) == "subject.token_too_long_lived");
    }
}
