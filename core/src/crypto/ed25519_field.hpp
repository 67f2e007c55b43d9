// Arithmetic in GF(p), p = 2^255 - 19, the field of edwards25519 (RFC 8032 §5.1).
// Internal to the core's Ed25519 verifier; not part of the public API.
//
// An element is ten unsigned limbs in radix 2^25.5: limb i has weight
// 2^ceil(25.5 * i), so even limbs hold 26 bits and odd limbs 25, and together
// they cover exactly 255 bits. Then 2^255 = 19 (mod p) folds the top of a
// product back with a small factor. Every product of two limbs fits in 64 bits
// and a whole column of them does too, with no 128-bit type: the same code runs
// on x86-64 and wasm32.
//
// Bounds: every function returns a "carried" element, all limbs < 2^26, and
// accepts carried elements. An output limb of a product then sums 10 terms of
// at most 2 * 2^26 * 19 * 2^26 < 2^57.3: below 2^61, far from overflow.
//
// Everything is constexpr so that the curve constants can be checked against
// their definitions at compile time (see ed25519_point.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace consent::ed25519_detail {

inline constexpr std::size_t kLimbs = 10;

// A plain array rather than std::array: unoptimized (sanitizer) builds call
// std::array::operator[] as a function, and this is the innermost code.
struct Fe {
    std::uint64_t v[kLimbs]{};
};

using FieldBytes = std::array<std::uint8_t, 32>;

constexpr unsigned limb_bits(std::size_t i) noexcept { return i % 2 == 0 ? 26u : 25u; }
constexpr std::uint64_t limb_mask(std::size_t i) noexcept { return (std::uint64_t{1} << limb_bits(i)) - 1; }
// ceil(25.5 * i): where limb i starts in the 255-bit little-endian number.
constexpr unsigned limb_offset(std::size_t i) noexcept { return static_cast<unsigned>(i / 2 * 51 + (i % 2) * 26); }

constexpr Fe fe_small(std::uint32_t n) noexcept {
    Fe f;
    f.v[0] = n & limb_mask(0);
    f.v[1] = n >> limb_bits(0);
    return f;
}

// One pass of carries: each limb keeps its own bits and passes the rest up;
// what leaves limb 9 has weight 2^255 and re-enters limb 0 times 19. A last
// carry from limb 0 leaves limb 1 at most a little over 2^25 (still < 2^26).
// Written out, like fe_mul, because every operation ends with it; in place,
// because copying 80 bytes is a memcpy call in a size-optimized wasm build.
constexpr void fe_carry(Fe& f) noexcept {
    constexpr std::uint64_t k26 = (std::uint64_t{1} << 26) - 1;
    constexpr std::uint64_t k25 = (std::uint64_t{1} << 25) - 1;
    f.v[1] += f.v[0] >> 26;
    f.v[0] &= k26;
    f.v[2] += f.v[1] >> 25;
    f.v[1] &= k25;
    f.v[3] += f.v[2] >> 26;
    f.v[2] &= k26;
    f.v[4] += f.v[3] >> 25;
    f.v[3] &= k25;
    f.v[5] += f.v[4] >> 26;
    f.v[4] &= k26;
    f.v[6] += f.v[5] >> 25;
    f.v[5] &= k25;
    f.v[7] += f.v[6] >> 26;
    f.v[6] &= k26;
    f.v[8] += f.v[7] >> 25;
    f.v[7] &= k25;
    f.v[9] += f.v[8] >> 26;
    f.v[8] &= k26;
    f.v[0] += 19 * (f.v[9] >> 25);
    f.v[9] &= k25;
    f.v[1] += f.v[0] >> 26;
    f.v[0] &= k26;
}

constexpr Fe fe_add(const Fe& a, const Fe& b) noexcept {
    Fe r;
    for (std::size_t i = 0; i < kLimbs; ++i) r.v[i] = a.v[i] + b.v[i];
    fe_carry(r);
    return r;
}

// 4p in this radix: every limb is larger than any carried limb, so a + 4p - b
// never wraps below zero.
constexpr Fe fe_four_p() noexcept {
    Fe r;
    for (std::size_t i = 0; i < kLimbs; ++i) r.v[i] = 4 * limb_mask(i);
    r.v[0] -= 4 * 18;  // the low limb of p is 2^26 - 19, not 2^26 - 1
    return r;
}

constexpr Fe fe_sub(const Fe& a, const Fe& b) noexcept {
    const Fe four_p = fe_four_p();
    Fe r;
    for (std::size_t i = 0; i < kLimbs; ++i) r.v[i] = a.v[i] + four_p.v[i] - b.v[i];
    fe_carry(r);
    return r;
}

constexpr Fe fe_neg(const Fe& a) noexcept { return fe_sub(Fe{}, a); }

// Schoolbook product, folded as it goes, written out because it is the inner
// loop of everything (a loop costs several times more, unoptimized builds
// most of all). a_i * b_j has the weight of limb i + j, times 2 when i and j
// are both odd (25.5 + 25.5 rounds up twice): a2 holds a with its odd limbs
// doubled. Limb i + j >= 10 stands for 2^255 = 19 (mod p) times limb
// i + j - 10: b19 holds 19 * b. Row k sums a_i * b_((k - i) mod 10).
constexpr Fe fe_mul(const Fe& f, const Fe& g) noexcept {
    const std::uint64_t* a = f.v;
    const std::uint64_t* b = g.v;
    const std::uint64_t a2[kLimbs] = {a[0], 2 * a[1], a[2], 2 * a[3], a[4], 2 * a[5], a[6], 2 * a[7], a[8], 2 * a[9]};
    const std::uint64_t b19[kLimbs] = {19 * b[0], 19 * b[1], 19 * b[2], 19 * b[3], 19 * b[4],
                                       19 * b[5], 19 * b[6], 19 * b[7], 19 * b[8], 19 * b[9]};
    Fe r;
    // clang-format off
    r.v[0] = a[0] * b[0] + a2[1] * b19[9] + a[2] * b19[8] + a2[3] * b19[7] + a[4] * b19[6]
             + a2[5] * b19[5] + a[6] * b19[4] + a2[7] * b19[3] + a[8] * b19[2] + a2[9] * b19[1];
    r.v[1] = a[0] * b[1] + a[1] * b[0] + a[2] * b19[9] + a[3] * b19[8] + a[4] * b19[7]
             + a[5] * b19[6] + a[6] * b19[5] + a[7] * b19[4] + a[8] * b19[3] + a[9] * b19[2];
    r.v[2] = a[0] * b[2] + a2[1] * b[1] + a[2] * b[0] + a2[3] * b19[9] + a[4] * b19[8]
             + a2[5] * b19[7] + a[6] * b19[6] + a2[7] * b19[5] + a[8] * b19[4] + a2[9] * b19[3];
    r.v[3] = a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * b19[9]
             + a[5] * b19[8] + a[6] * b19[7] + a[7] * b19[6] + a[8] * b19[5] + a[9] * b19[4];
    r.v[4] = a[0] * b[4] + a2[1] * b[3] + a[2] * b[2] + a2[3] * b[1] + a[4] * b[0]
             + a2[5] * b19[9] + a[6] * b19[8] + a2[7] * b19[7] + a[8] * b19[6] + a2[9] * b19[5];
    r.v[5] = a[0] * b[5] + a[1] * b[4] + a[2] * b[3] + a[3] * b[2] + a[4] * b[1]
             + a[5] * b[0] + a[6] * b19[9] + a[7] * b19[8] + a[8] * b19[7] + a[9] * b19[6];
    r.v[6] = a[0] * b[6] + a2[1] * b[5] + a[2] * b[4] + a2[3] * b[3] + a[4] * b[2]
             + a2[5] * b[1] + a[6] * b[0] + a2[7] * b19[9] + a[8] * b19[8] + a2[9] * b19[7];
    r.v[7] = a[0] * b[7] + a[1] * b[6] + a[2] * b[5] + a[3] * b[4] + a[4] * b[3]
             + a[5] * b[2] + a[6] * b[1] + a[7] * b[0] + a[8] * b19[9] + a[9] * b19[8];
    r.v[8] = a[0] * b[8] + a2[1] * b[7] + a[2] * b[6] + a2[3] * b[5] + a[4] * b[4]
             + a2[5] * b[3] + a[6] * b[2] + a2[7] * b[1] + a[8] * b[0] + a2[9] * b19[9];
    r.v[9] = a[0] * b[9] + a[1] * b[8] + a[2] * b[7] + a[3] * b[6] + a[4] * b[5]
             + a[5] * b[4] + a[6] * b[3] + a[7] * b[2] + a[8] * b[1] + a[9] * b[0];
    // clang-format on
    fe_carry(r);
    return r;
}

// fe_mul(f, f) with each cross product a_i * a_j (i < j) computed once and
// doubled: 55 products instead of 100. a2 = 2a, a19 = 19a, a38 = 38a supply
// the factors 2 (cross term, odd-odd pair) and 19 (fold) of fe_mul. A term is
// at most 2^27 * 38 * 2^26 < 2^58.3 and a limb sums at most 6: below 2^61.
constexpr Fe fe_sq(const Fe& f) noexcept {
    const std::uint64_t* a = f.v;
    std::uint64_t a2[kLimbs]{};
    std::uint64_t a19[kLimbs]{};
    std::uint64_t a38[kLimbs]{};
    for (std::size_t i = 0; i < kLimbs; ++i) {
        a2[i] = 2 * a[i];
        a19[i] = 19 * a[i];
        a38[i] = 38 * a[i];
    }
    Fe r;
    // clang-format off
    r.v[0] = a[0] * a[0] + a2[1] * a38[9] + a2[2] * a19[8] + a2[3] * a38[7] + a2[4] * a19[6]
             + a[5] * a38[5];
    r.v[1] = a2[0] * a[1] + a2[2] * a19[9] + a2[3] * a19[8] + a2[4] * a19[7] + a2[5] * a19[6];
    r.v[2] = a2[0] * a[2] + a[1] * a2[1] + a2[3] * a38[9] + a2[4] * a19[8] + a2[5] * a38[7]
             + a[6] * a19[6];
    r.v[3] = a2[0] * a[3] + a2[1] * a[2] + a2[4] * a19[9] + a2[5] * a19[8] + a2[6] * a19[7];
    r.v[4] = a2[0] * a[4] + a2[1] * a2[3] + a[2] * a[2] + a2[5] * a38[9] + a2[6] * a19[8]
             + a[7] * a38[7];
    r.v[5] = a2[0] * a[5] + a2[1] * a[4] + a2[2] * a[3] + a2[6] * a19[9] + a2[7] * a19[8];
    r.v[6] = a2[0] * a[6] + a2[1] * a2[5] + a2[2] * a[4] + a[3] * a2[3] + a2[7] * a38[9]
             + a[8] * a19[8];
    r.v[7] = a2[0] * a[7] + a2[1] * a[6] + a2[2] * a[5] + a2[3] * a[4] + a2[8] * a19[9];
    r.v[8] = a2[0] * a[8] + a2[1] * a2[7] + a2[2] * a[6] + a2[3] * a2[5] + a[4] * a[4]
             + a[9] * a38[9];
    r.v[9] = a2[0] * a[9] + a2[1] * a[8] + a2[2] * a[7] + a2[3] * a[6] + a2[4] * a[5];
    // clang-format on
    fe_carry(r);
    return r;
}

constexpr Fe fe_sq_times(Fe a, int times) noexcept {
    for (int i = 0; i < times; ++i) a = fe_sq(a);
    return a;
}

// Carries until every limb is within its width: the value is then below 2^255.
constexpr Fe fe_carry_exact(Fe f) noexcept {
    std::uint64_t top = 0;
    do {
        for (std::size_t i = 0; i + 1 < kLimbs; ++i) {
            f.v[i + 1] += f.v[i] >> limb_bits(i);
            f.v[i] &= limb_mask(i);
        }
        top = f.v[kLimbs - 1] >> limb_bits(kLimbs - 1);
        f.v[kLimbs - 1] &= limb_mask(kLimbs - 1);
        f.v[0] += 19 * top;
    } while (top != 0);
    return f;
}

// The unique representative in [0, p): below 2^255, so at most one p to take
// off, and v >= p exactly when v + 19 reaches 2^255.
constexpr Fe fe_canonical(const Fe& a) noexcept {
    Fe carried = a;
    fe_carry(carried);
    const Fe f = fe_carry_exact(carried);
    Fe minus_p = f;
    minus_p.v[0] += 19;
    for (std::size_t i = 0; i + 1 < kLimbs; ++i) {
        minus_p.v[i + 1] += minus_p.v[i] >> limb_bits(i);
        minus_p.v[i] &= limb_mask(i);
    }
    const bool at_least_p = (minus_p.v[kLimbs - 1] >> limb_bits(kLimbs - 1)) != 0;
    minus_p.v[kLimbs - 1] &= limb_mask(kLimbs - 1);
    return at_least_p ? minus_p : f;
}

// RFC 8032 §5.1.2: the 255-bit little-endian encoding of the canonical value.
constexpr FieldBytes fe_to_bytes(const Fe& a) noexcept {
    const Fe f = fe_canonical(a);
    FieldBytes out{};
    std::uint64_t acc = 0;
    unsigned acc_bits = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < kLimbs; ++i) {
        acc |= f.v[i] << acc_bits;
        acc_bits += limb_bits(i);
        for (; acc_bits >= 8; acc_bits -= 8, acc >>= 8) out[at++] = static_cast<std::uint8_t>(acc);
    }
    out[at] = static_cast<std::uint8_t>(acc);  // the last 7 bits (255 = 31 * 8 + 7)
    return out;
}

// The low 255 bits of a little-endian number (the caller handles bit 255).
// The result may be >= p; arithmetic does not mind, and callers that need a
// canonical input compare fe_to_bytes with what they decoded.
constexpr Fe fe_from_bytes(const std::uint8_t* bytes) noexcept {
    Fe f;
    for (std::size_t i = 0; i < kLimbs; ++i) {
        const unsigned first = limb_offset(i);
        std::uint64_t window = 0;
        for (unsigned byte = first / 8; byte < 32 && byte <= (first + 25) / 8; ++byte) {
            window |= std::uint64_t{bytes[byte]} << (8 * (byte - first / 8));
        }
        f.v[i] = (window >> (first % 8)) & limb_mask(i);
    }
    return f;
}

constexpr bool fe_equal(const Fe& a, const Fe& b) noexcept {
    const FieldBytes x = fe_to_bytes(a);
    const FieldBytes y = fe_to_bytes(b);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] != y[i]) return false;
    }
    return true;
}

constexpr bool fe_is_zero(const Fe& a) noexcept { return fe_equal(a, Fe{}); }

// RFC 8032 §5.1.2/§5.1.3: x is "negative" when its canonical value is odd.
constexpr bool fe_is_odd(const Fe& a) noexcept { return (fe_to_bytes(a)[0] & 1) != 0; }

// z^(2^250 - 1), the shared start of both exponentiations below, built from
// runs of ones: z^(2^n - 1) squared m times times z^(2^m - 1) is z^(2^(n+m) - 1).
// Also hands back z^11, which the inversion needs.
constexpr Fe fe_pow_2_250_minus_1(const Fe& z, Fe& z11) noexcept {
    const Fe z2 = fe_sq(z);
    const Fe z9 = fe_mul(fe_sq_times(z2, 2), z);
    z11 = fe_mul(z9, z2);
    const Fe e5 = fe_mul(fe_sq(z11), z9);  // z^31 = z^(2^5 - 1)
    const Fe e10 = fe_mul(fe_sq_times(e5, 5), e5);
    const Fe e20 = fe_mul(fe_sq_times(e10, 10), e10);
    const Fe e40 = fe_mul(fe_sq_times(e20, 20), e20);
    const Fe e50 = fe_mul(fe_sq_times(e40, 10), e10);
    const Fe e100 = fe_mul(fe_sq_times(e50, 50), e50);
    const Fe e200 = fe_mul(fe_sq_times(e100, 100), e100);
    return fe_mul(fe_sq_times(e200, 50), e50);
}

// 1/z = z^(p - 2) = z^(2^255 - 21) (Fermat); 0 maps to 0.
constexpr Fe fe_invert(const Fe& z) noexcept {
    Fe z11;
    const Fe e250 = fe_pow_2_250_minus_1(z, z11);
    return fe_mul(fe_sq_times(e250, 5), z11);  // (2^250 - 1) * 2^5 + 11
}

// z^((p - 5) / 8) = z^(2^252 - 3), the exponent of RFC 8032 §5.1.3 step 3.
constexpr Fe fe_pow_p_minus_5_over_8(const Fe& z) noexcept {
    Fe z11;
    const Fe e250 = fe_pow_2_250_minus_1(z, z11);
    return fe_mul(fe_sq_times(e250, 2), z);  // (2^250 - 1) * 4 + 1
}

}  // namespace consent::ed25519_detail
