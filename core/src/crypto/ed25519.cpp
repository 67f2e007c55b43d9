// Ed25519 verification, RFC 8032 §5.1.7, with libsodium 1.0.18's extra checks.
#include "consent/crypto/ed25519.hpp"

#include <algorithm>
#include <optional>

#include "consent/crypto/sha512.hpp"
#include "ed25519_point.hpp"
#include "ed25519_scalar.hpp"

namespace consent {
namespace {

using ed25519_detail::Point;

// §5.1.7 step 1 for A: a valid, canonical encoding, and (as in libsodium)
// not one of the eight small-order points, for which one signature can verify
// for many messages.
std::optional<Point> decode_checked_point(const std::uint8_t bytes[32]) noexcept {
    std::optional<Point> point = ed25519_detail::point_decode(bytes);
    if (!point || ed25519_detail::point_has_small_order(*point)) return std::nullopt;
    return point;
}

// §5.1.7 step 2: k = SHA-512(dom2(F, C) || R || A || PH(M)) mod L, where for
// plain Ed25519 dom2 is empty and PH is the identity.
ed25519_detail::ScalarBytes challenge(const std::uint8_t r[32], const std::uint8_t a[32], const std::uint8_t* message,
                                      std::size_t size) noexcept {
    Sha512 hasher;
    hasher.update(r, 32);
    hasher.update(a, 32);
    hasher.update(message, size);
    const Sha512Digest digest = hasher.finish();
    return ed25519_detail::scalar_reduce(digest.data(), digest.size());
}

}  // namespace

bool ed25519_verify(const std::uint8_t public_key[32], const std::uint8_t* message, std::size_t size,
                    const std::uint8_t signature[64]) noexcept {
    const std::uint8_t* r_bytes = signature;
    const std::uint8_t* s_bytes = signature + 32;
    // Step 1: S must be below L and A a valid point of large enough order.
    if (!ed25519_detail::scalar_is_canonical(s_bytes)) return false;
    const std::optional<Point> a = decode_checked_point(public_key);
    if (!a) return false;
    const ed25519_detail::ScalarBytes k = challenge(r_bytes, public_key, message, size);
    // Step 3 without the cofactor, as libsodium: encode [S]B - [k]A and compare
    // it with R byte for byte. That encoding is canonical and of a real point,
    // so the comparison also refuses every R that step 1's decoding would (y
    // not below p, no x for y, x = 0 with the sign bit set) without decoding it.
    const Point check = ed25519_detail::point_double_scalar_mult(k.data(), ed25519_detail::point_negate(*a), s_bytes);
    const ed25519_detail::FieldBytes encoded = ed25519_detail::point_encode(check);
    if (!std::equal(encoded.begin(), encoded.end(), r_bytes)) return false;
    // R is now known to be the point check; libsodium also refuses a small-order R.
    return !ed25519_detail::point_has_small_order(check);
}

bool ed25519_verify(const Bytes& public_key, std::string_view message, const Bytes& signature) noexcept {
    if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
        return false;
    }
    return ed25519_verify(public_key.data(), reinterpret_cast<const std::uint8_t*>(message.data()), message.size(),
                          signature.data());
}

}  // namespace consent
