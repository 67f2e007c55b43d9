// Points of edwards25519, -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19)
// (RFC 8032 §5.1), in extended coordinates (§5.1.4). Internal to the core's
// Ed25519 verifier. Nothing here is constant time: verification only handles
// public values (keys, messages, signatures).
#pragma once

#include <cstdint>
#include <optional>

#include "ed25519_field.hpp"

namespace consent::ed25519_detail {

// RFC 8032 §5.1.4: (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
struct Point {
    Fe x, y, z, t;
};

Point point_identity() noexcept;
Point point_base() noexcept;  // B of RFC 8032 §5.1
Point point_double(const Point& p) noexcept;
Point point_negate(const Point& p) noexcept;

// RFC 8032 §5.1.3, strictly: no value for y >= p, for a y with no x on the
// curve, or for x = 0 with the sign bit set.
std::optional<Point> point_decode(const std::uint8_t bytes[32]) noexcept;
// RFC 8032 §5.1.2.
FieldBytes point_encode(const Point& p) noexcept;

// True for the eight points of order dividing the cofactor 8: [8]P is the
// identity. These are what libsodium refuses as a public key or as R.
bool point_has_small_order(const Point& p) noexcept;

// [a]P + [b]B for little-endian scalars a, b < 2^253 (both are below L
// here) in variable time.
Point point_double_scalar_mult(const std::uint8_t a[32], const Point& p, const std::uint8_t b[32]) noexcept;

}  // namespace consent::ed25519_detail
