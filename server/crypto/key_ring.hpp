// Ed25519 signing keys (libsodium) for receipts and log checkpoints.
//
// Keys live in a directory outside the repository, one file per key, created
// with 0600 permissions; a directory or key file readable by others is refused at
// load. One key is active; rotation makes a new active key and keeps the old
// public keys in the JWKS so that earlier receipts still verify.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/encoding.hpp"
#include "consent/result.hpp"

namespace consent::server {

inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

struct PublicKey {
    std::string kid;  // RFC 7638 JWK thumbprint (base64url), so a kid names exactly one key
    std::array<std::uint8_t, kEd25519PublicKeySize> bytes{};
    bool active = false;
    std::int64_t created_at = 0;
};

class KeyRing {
public:
    // Reads every key in dir. Errors: keys.missing_dir, keys.unsafe_permissions,
    // keys.corrupt, keys.none_active.
    static Result<KeyRing> load(const std::string& dir);
    // Creates a new key in dir (creating dir 0700 if needed) and makes it the
    // active one; the previous active key stays as a retired public key.
    static Result<std::string> create_key(const std::string& dir, std::int64_t now);

    const std::string& active_kid() const { return active_kid_; }
    Bytes sign(std::string_view message) const;  // with the active key
    const std::vector<PublicKey>& public_keys() const { return public_keys_; }
    const PublicKey* find(std::string_view kid) const;
    // RFC 8037 §2 OKP keys: {"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}]}
    nlohmann::json jwks() const;

private:
    std::string active_kid_;
    std::vector<std::uint8_t> active_secret_;  // 64-byte libsodium secret key
    std::vector<PublicKey> public_keys_;
};

// Ed25519 verification (libsodium crypto_sign_verify_detached).
[[nodiscard]] bool ed25519_verify(const std::uint8_t* public_key, std::string_view message, const Bytes& signature);

// Verifies a compact receipt JWS against the ring's public keys by its kid.
// Codes: jws.* from parse_compact_jws, jws.unknown_kid, receipt.signature_invalid.
Status verify_receipt_jws(const KeyRing& ring, std::string_view compact);

}  // namespace consent::server
