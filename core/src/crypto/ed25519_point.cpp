// edwards25519 group operations for the Ed25519 verifier (RFC 8032 §5.1).
#include "ed25519_point.hpp"

#include <array>
#include <cstddef>
#include <string_view>

namespace consent::ed25519_detail {
namespace {

constexpr std::uint8_t hex_value(char c) noexcept {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
}

// A field constant written as its 32-byte little-endian encoding in hex.
constexpr Fe fe_from_hex(std::string_view hex) noexcept {
    FieldBytes bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
    }
    return fe_from_bytes(bytes.data());
}

constexpr Fe kOne = fe_small(1);
// RFC 8032 §5.1: d = -121665 / 121666.
constexpr Fe kD = fe_from_hex("a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352");
constexpr Fe kTwoD = fe_from_hex("59f1b226949bd6eb56b183829a14e00030d1f3eef2808e19e7fcdf56dcd90624");
// RFC 8032 §5.1.3 step 3: 2^((p - 1) / 4), a square root of -1.
constexpr Fe kSqrtMinusOne = fe_from_hex("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b");
// RFC 8032 §5.1: B = (x, 4/5) with x "positive" (even).
constexpr Fe kBaseX = fe_from_hex("1ad5258f602d56c9b2a7259560c72c695cdcd6fd31e2a4c0fe536ecdd3366921");
constexpr Fe kBaseY = fe_from_hex("5866666666666666666666666666666666666666666666666666666666666666");

// The constants above are checked against their definitions by the compiler.
constexpr bool on_curve(const Fe& x, const Fe& y) noexcept {
    const Fe x2 = fe_sq(x);
    const Fe y2 = fe_sq(y);
    return fe_equal(fe_sub(y2, x2), fe_add(kOne, fe_mul(kD, fe_mul(x2, y2))));
}
static_assert(fe_equal(fe_mul(kD, fe_small(121666)), fe_neg(fe_small(121665))));
static_assert(fe_equal(kTwoD, fe_add(kD, kD)));
static_assert(fe_equal(fe_sq(kSqrtMinusOne), fe_neg(kOne)));
static_assert(fe_equal(fe_mul(kBaseY, fe_small(5)), fe_small(4)));
static_assert(on_curve(kBaseX, kBaseY) && !fe_is_odd(kBaseX));

// RFC 8032 §5.1.3 steps 2-3: x^2 = (y^2 - 1) / (d y^2 + 1); no value if that
// has no square root. The candidate root is u v^3 (u v^7)^((p - 5) / 8).
std::optional<Fe> recover_x(const Fe& y) noexcept {
    const Fe y2 = fe_sq(y);
    const Fe u = fe_sub(y2, kOne);
    const Fe v = fe_add(fe_mul(kD, y2), kOne);
    const Fe v3 = fe_mul(fe_sq(v), v);
    const Fe v7 = fe_mul(fe_sq(v3), v);
    const Fe x = fe_mul(fe_mul(u, v3), fe_pow_p_minus_5_over_8(fe_mul(u, v7)));
    const Fe vx2 = fe_mul(v, fe_sq(x));
    if (fe_equal(vx2, u)) return x;
    if (fe_equal(vx2, fe_neg(u))) return fe_mul(x, kSqrtMinusOne);
    return std::nullopt;
}

unsigned scalar_bit(const std::uint8_t s[32], std::size_t i) noexcept {
    return i < 256 ? (s[i / 8] >> (i % 8)) & 1u : 0u;
}

// A point prepared for adding (as in RFC 8032 §5.1.4's addition, the factors
// that depend on the second point only): Y + X, Y - X, 2Z and 2dT.
struct Cached {
    Fe y_plus_x, y_minus_x, z2, t2d;
};

Cached to_cached(const Point& p) noexcept {
    return Cached{fe_add(p.y, p.x), fe_sub(p.y, p.x), fe_add(p.z, p.z), fe_mul(p.t, kTwoD)};
}

// RFC 8032 §5.1.4 addition with the second point cached; subtracting is
// adding -Q = (-X, Y, Z, -T), which swaps Y + X with Y - X and negates 2dT.
Point add_cached(const Point& p, const Cached& q, bool subtract) noexcept {
    const Fe a = fe_mul(fe_sub(p.y, p.x), subtract ? q.y_plus_x : q.y_minus_x);
    const Fe b = fe_mul(fe_add(p.y, p.x), subtract ? q.y_minus_x : q.y_plus_x);
    const Fe c = subtract ? fe_neg(fe_mul(p.t, q.t2d)) : fe_mul(p.t, q.t2d);
    const Fe d = fe_mul(p.z, q.z2);
    const Fe e = fe_sub(b, a);
    const Fe f = fe_sub(d, c);
    const Fe g = fe_add(d, c);
    const Fe h = fe_add(b, a);
    return Point{fe_mul(e, f), fe_mul(g, h), fe_mul(f, g), fe_mul(e, h)};
}

// Signed digits of width 5 (a "wNAF"): s = sum of digit[i] * 2^i, each digit 0
// or odd in -15..15, nonzero digits at least 5 positions apart. A run of bits
// is taken 5 at a time; a window of 16 or more becomes window - 32 and carries
// 1 into the next position. For s < 2^253 the last carry stays below bit 256.
constexpr unsigned kWindow = 5;
using SignedDigits = std::array<std::int8_t, 256>;

SignedDigits signed_digits(const std::uint8_t s[32]) noexcept {
    SignedDigits digits{};
    unsigned carry = 0;
    for (std::size_t i = 0; i < digits.size();) {
        if (((scalar_bit(s, i) + carry) & 1u) == 0) {
            carry = (scalar_bit(s, i) + carry) >> 1;
            ++i;
            continue;
        }
        int window = static_cast<int>(carry);
        for (unsigned j = 0; j < kWindow; ++j) window += static_cast<int>(scalar_bit(s, i + j) << j);
        carry = window >= 16 ? 1 : 0;
        digits[i] = static_cast<std::int8_t>(window >= 16 ? window - 32 : window);
        i += kWindow;
    }
    return digits;
}

// P, 3P, 5P, ..., 15P: the multiples a digit can ask for.
using OddMultiples = std::array<Cached, 8>;

OddMultiples odd_multiples(const Point& p) noexcept {
    const Cached twice = to_cached(point_double(p));
    OddMultiples table{};
    Point multiple = p;
    table[0] = to_cached(multiple);
    for (std::size_t i = 1; i < table.size(); ++i) {
        multiple = add_cached(multiple, twice, false);
        table[i] = to_cached(multiple);
    }
    return table;
}

Point add_digit(const Point& r, const OddMultiples& table, int digit) noexcept {
    if (digit == 0) return r;
    const std::size_t index = static_cast<std::size_t>((digit < 0 ? -digit : digit) / 2);
    return add_cached(r, table[index], digit < 0);
}

}  // namespace

Point point_identity() noexcept { return Point{Fe{}, kOne, kOne, Fe{}}; }

Point point_base() noexcept { return Point{kBaseX, kBaseY, kOne, fe_mul(kBaseX, kBaseY)}; }

// RFC 8032 §5.1.4 doubling.
Point point_double(const Point& p) noexcept {
    const Fe a = fe_sq(p.x);
    const Fe b = fe_sq(p.y);
    const Fe z2 = fe_sq(p.z);
    const Fe c = fe_add(z2, z2);
    const Fe h = fe_add(a, b);
    const Fe e = fe_sub(h, fe_sq(fe_add(p.x, p.y)));
    const Fe g = fe_sub(a, b);
    const Fe f = fe_add(c, g);
    return Point{fe_mul(e, f), fe_mul(g, h), fe_mul(f, g), fe_mul(e, h)};
}

// -(x, y) = (-x, y).
Point point_negate(const Point& p) noexcept { return Point{fe_neg(p.x), p.y, p.z, fe_neg(p.t)}; }

// RFC 8032 §5.1.3.
std::optional<Point> point_decode(const std::uint8_t bytes[32]) noexcept {
    const bool x_odd = (bytes[31] >> 7) != 0;
    const Fe y = fe_from_bytes(bytes);
    // Step 1: y must be below p, i.e. its canonical encoding gives back the same 255 bits.
    const FieldBytes y_bytes = fe_to_bytes(y);
    for (std::size_t i = 0; i < y_bytes.size(); ++i) {
        const std::uint8_t given = i == 31 ? static_cast<std::uint8_t>(bytes[i] & 0x7f) : bytes[i];
        if (y_bytes[i] != given) return std::nullopt;
    }
    std::optional<Fe> x = recover_x(y);
    if (!x) return std::nullopt;
    // Step 4: x = 0 has no negative; otherwise pick the root with the given parity.
    if (x_odd && fe_is_zero(*x)) return std::nullopt;
    if (fe_is_odd(*x) != x_odd) x = fe_neg(*x);
    return Point{*x, y, kOne, fe_mul(*x, y)};
}

// RFC 8032 §5.1.2: y with the parity of x in the top bit.
FieldBytes point_encode(const Point& p) noexcept {
    const Fe z_inverse = fe_invert(p.z);
    const Fe x = fe_mul(p.x, z_inverse);
    FieldBytes out = fe_to_bytes(fe_mul(p.y, z_inverse));
    if (fe_is_odd(x)) out[31] = static_cast<std::uint8_t>(out[31] | 0x80);
    return out;
}

// The identity is (0, 1): X = 0 and Y = Z.
bool point_has_small_order(const Point& p) noexcept {
    const Point eight_p = point_double(point_double(point_double(p)));
    return fe_is_zero(eight_p.x) && fe_equal(eight_p.y, eight_p.z);
}

// Straus's method with signed windows: one pass of doublings from the top
// digit down, adding the multiple of P and of B that each digit asks for.
Point point_double_scalar_mult(const std::uint8_t a[32], const Point& p, const std::uint8_t b[32]) noexcept {
    const SignedDigits a_digits = signed_digits(a);
    const SignedDigits b_digits = signed_digits(b);
    const OddMultiples p_multiples = odd_multiples(p);
    const OddMultiples b_multiples = odd_multiples(point_base());
    std::size_t top = a_digits.size();
    while (top > 0 && a_digits[top - 1] == 0 && b_digits[top - 1] == 0) --top;
    Point r = point_identity();
    for (std::size_t i = top; i-- > 0;) {
        r = point_double(r);
        r = add_digit(r, p_multiples, a_digits[i]);
        r = add_digit(r, b_multiples, b_digits[i]);
    }
    return r;
}

}  // namespace consent::ed25519_detail
