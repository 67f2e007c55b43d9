// Checked 64-bit integer arithmetic for numbers that come from outside
// (token claims, client times, query parameters, stored rows).
//
// Signed overflow is undefined behaviour (C++17 [expr]/4): a release build may
// compute anything, so "exp - iat" with iat = INT64_MIN once let a token live
// forever (issue #10). Every + - * on an untrusted value goes through these
// functions, which answer nullopt instead of overflowing; the caller then
// refuses the input with its own clear error code.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace consent {

constexpr std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) noexcept {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    if (b > 0 ? a > kMax - b : a < kMin - b) return std::nullopt;
    return a + b;
}

constexpr std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) noexcept {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    if (b < 0 ? a > kMax + b : a < kMin + b) return std::nullopt;
    return a - b;
}

constexpr std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) noexcept {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    if (a == 0 || b == 0) return std::int64_t{0};
    // Compare before multiplying: the quotient of the bound by one factor is the
    // largest (or smallest) other factor that still fits.
    if (a > 0 ? (b > 0 ? a > kMax / b : b < kMin / a) : (b > 0 ? a < kMin / b : a < kMax / b)) return std::nullopt;
    return a * b;
}

// A JSON integer that fits int64, or nullopt: nlohmann keeps integers above
// INT64_MAX as unsigned, and reading one as int64 would wrap it to a negative.
// A template over the JSON type (nlohmann's, or SmallJson's in consent-banner.wasm), so that this base
// header includes no JSON library.
template <class J>
std::optional<std::int64_t> json_int64(const J& value) noexcept {
    if (value.is_number_unsigned()) {
        const auto u = value.template get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    if (value.is_number_integer()) return value.template get<std::int64_t>();
    return std::nullopt;
}

}  // namespace consent
