// Ed25519 signing keys (libsodium) for receipts and log checkpoints.
//
// Keys live in a directory outside the repository, one file per key, created
// with 0600 permissions; a directory or key file readable by others is refused at
// load. One key is active; rotation makes a new active key and keeps the old
// public keys in the JWKS so that earlier receipts still verify.
//
// Key file "<kid>.key": {"kid","created_at","secret_key","active"}, where
// secret_key is base64url of libsodium's 64-byte secret key (seed || public
// key, RFC 8032 §5.1.5). Files are only ever written whole: a temporary file
// made with O_CREAT|O_EXCL 0600 and fsynced, then link(2)ed to its name for a
// new key (fails if the name exists) or rename(2)d over it for a change of the
// active flag, then the directory fsynced. A crash leaves old or new content.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/crypto/encoding.hpp"

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
    // Reads every "*.key" file in dir (names starting with '.' are temporary
    // files and skipped). Errors: keys.missing_dir, keys.unsafe_permissions
    // (dir or a key file grants group/other any access, or is another user's),
    // keys.corrupt (unreadable JSON, a kid that is not the key's thumbprint, a
    // file not named after its kid, halves of the secret key that disagree,
    // more than one active key), keys.none_active, keys.io_error.
    static Result<KeyRing> load(const std::string& dir);
    // Creates a new key in dir (creating dir 0700 if needed) and makes it the
    // active one; the previous active key stays as a retired public key.
    // Returns the new kid. Errors: those of load, keys.invalid_time (now outside
    // 1970..9999), keys.io_error.
    static Result<std::string> create_key(const std::string& dir, std::int64_t now);

    const std::string& active_kid() const { return active_kid_; }
    // Ed25519 signature with the active key (empty for a ring that was not loaded).
    Bytes sign(std::string_view message) const;
    const std::vector<PublicKey>& public_keys() const { return public_keys_; }
    const PublicKey* find(std::string_view kid) const;
    // RFC 8037 §2 OKP keys: {"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}]}
    nlohmann::json jwks() const;

private:
    std::string active_kid_;
    std::vector<std::uint8_t> active_secret_;  // 64-byte libsodium secret key
    std::vector<PublicKey> public_keys_;
};

// RFC 7638 thumbprint of the RFC 8037 §2 OKP JWK of an Ed25519 public key:
// base64url(SHA-256({"crv":"Ed25519","kty":"OKP","x":…})). The kid of every key.
std::string ed25519_jwk_thumbprint(const std::array<std::uint8_t, kEd25519PublicKeySize>& public_key);

// Ed25519 verification (libsodium crypto_sign_verify_detached). A signature
// that is not 64 bytes is false, never read past.
[[nodiscard]] bool ed25519_verify(const std::uint8_t* public_key, std::string_view message, const Bytes& signature);

// Verifies a compact receipt JWS against the ring's public keys by its kid.
// Codes: jws.* from parse_compact_jws, jws.unknown_kid, receipt.signature_invalid.
Status verify_receipt_jws(const KeyRing& ring, std::string_view compact);

}  // namespace consent::server
