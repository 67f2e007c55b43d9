// Ed25519 signature verification (RFC 8032 §5.1.7), implemented in the core so
// that the browser (the core as WebAssembly) and the offline verifier check
// receipt and checkpoint signatures with the same code and no host crypto
// library. Signing stays on the server (libsodium).
//
// Strictness is that of libsodium 1.0.18's crypto_sign_verify_detached, so the
// two agree on every input: S must be below L; A and R must be canonical,
// valid point encodings and not of small order; and the check is the
// cofactorless [S]B == R + [k]A, compared as encodings.
// Pure: no I/O, no state, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "consent/crypto/encoding.hpp"

namespace consent {

inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

[[nodiscard]] bool ed25519_verify(const std::uint8_t public_key[32], const std::uint8_t* message, std::size_t size,
                                  const std::uint8_t signature[64]) noexcept;

// False when the key is not 32 bytes or the signature not 64.
[[nodiscard]] bool ed25519_verify(const Bytes& public_key, std::string_view message, const Bytes& signature) noexcept;

}  // namespace consent
