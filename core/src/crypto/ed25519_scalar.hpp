// Scalars modulo L, the prime order of the Ed25519 base point (RFC 8032 §5.1):
// L = 2^252 + 27742317777372353535851937790883648493. Internal to the core's
// Ed25519 verifier.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace consent::ed25519_detail {

using ScalarBytes = std::array<std::uint8_t, 32>;

// RFC 8032 §5.1.7 step 1: S must satisfy 0 <= S < L (libsodium agrees).
bool scalar_is_canonical(const std::uint8_t s[32]) noexcept;

// A little-endian number of any length, reduced mod L (§5.1.7 step 2 uses it
// on the 64-byte SHA-512 digest).
ScalarBytes scalar_reduce(const std::uint8_t* bytes, std::size_t size) noexcept;

}  // namespace consent::ed25519_detail
