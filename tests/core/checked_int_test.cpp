// Checked arithmetic on untrusted 64-bit numbers (issue #10 item 2): at the
// ends of the range the answer is "does not fit", never undefined behaviour.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "consent/base/checked_int.hpp"

namespace {

using consent::checked_add;
using consent::checked_mul;
using consent::checked_sub;
using Opt = std::optional<std::int64_t>;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// Checked in the compiler too: constant evaluation refuses undefined behaviour.
static_assert(checked_add(kMax, 1) == std::nullopt);
static_assert(checked_sub(kMin, 1) == std::nullopt);
static_assert(checked_mul(kMin, -1) == std::nullopt);
static_assert(checked_sub(kMax, kMax) == Opt(0));

}  // namespace

TEST_CASE("checked addition answers nothing where 64 bits overflow", "[core][checked]") {
    struct Case {
        std::int64_t a, b;
        Opt want;
    };
    const auto c = GENERATE(values<Case>({
        {kMax, 1, std::nullopt},
        {kMax, kMax, std::nullopt},
        {kMin, -1, std::nullopt},
        {kMin, kMin, std::nullopt},
        {kMax, 0, kMax},
        {kMin, 0, kMin},
        {kMax, kMin, -1},
        {kMin, kMax, -1},
        {kMax - 1, 1, kMax},
        {kMin + 1, -1, kMin},
        {-5, 3, -2},
        {0, 0, 0},
    }));
    CAPTURE(c.a, c.b);
    CHECK(checked_add(c.a, c.b) == c.want);
}

TEST_CASE("checked subtraction answers nothing where 64 bits overflow", "[core][checked]") {
    struct Case {
        std::int64_t a, b;
        Opt want;
    };
    const auto c = GENERATE(values<Case>({
        {kMax, kMin, std::nullopt},
        {kMin, kMax, std::nullopt},
        {kMin, 1, std::nullopt},
        {kMax, -1, std::nullopt},
        {0, kMin, std::nullopt},
        {-1, kMin, kMax},
        {0, kMax, -kMax},
        {kMin, kMin, 0},
        {kMax, kMax, 0},
        {kMin, -1, kMin + 1},
        {1767225600, 60, 1767225540},
    }));
    CAPTURE(c.a, c.b);
    CHECK(checked_sub(c.a, c.b) == c.want);
}

TEST_CASE("checked multiplication answers nothing where 64 bits overflow", "[core][checked]") {
    struct Case {
        std::int64_t a, b;
        Opt want;
    };
    const auto c = GENERATE(values<Case>({
        {kMin, -1, std::nullopt},
        {-1, kMin, std::nullopt},
        {kMax, 2, std::nullopt},
        {kMin, 2, std::nullopt},
        {2, kMin, std::nullopt},
        {kMax, kMax, std::nullopt},
        {kMin, kMin, std::nullopt},
        {kMax, -1, -kMax},
        {kMin, 1, kMin},
        {kMin, 0, 0},
        {0, kMin, 0},
        {-4611686018427387904, 2, kMin},
        {4611686018427387904, 2, std::nullopt},
        {-4611686018427387904, -2, std::nullopt},
        {3037000499, 3037000499, 9223372030926249001},
        {3037000500, 3037000500, std::nullopt},
        {-3037000500, 3037000500, std::nullopt},
        {400, 86400, 34560000},
    }));
    CAPTURE(c.a, c.b);
    CHECK(checked_mul(c.a, c.b) == c.want);
}

TEST_CASE("a JSON integer is read as int64 only when it fits", "[core][checked]") {
    using nlohmann::json;
    CHECK(consent::json_int64(json(kMax)) == Opt(kMax));
    CHECK(consent::json_int64(json(kMin)) == Opt(kMin));
    CHECK(consent::json_int64(json(static_cast<std::uint64_t>(kMax))) == Opt(kMax));
    CHECK(consent::json_int64(json(static_cast<std::uint64_t>(kMax) + 1)) == std::nullopt);
    CHECK(consent::json_int64(json(std::numeric_limits<std::uint64_t>::max())) == std::nullopt);
    CHECK(consent::json_int64(json::parse("18446744073709551615")) == std::nullopt);
    CHECK(consent::json_int64(json::parse("-9223372036854775808")) == Opt(kMin));
    CHECK(consent::json_int64(json(1.0)) == std::nullopt);
    CHECK(consent::json_int64(json("1")) == std::nullopt);
    CHECK(consent::json_int64(json(nullptr)) == std::nullopt);
}
