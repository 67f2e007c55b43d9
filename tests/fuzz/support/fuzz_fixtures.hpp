// What the fuzz targets share: a fixed Ed25519 test key (libsodium, from a
// fixed seed, so every signature is the same on every run: RFC 8032 signing is
// deterministic), the project's own test data, and a small signed log made
// with that key. A target keeps the originals it signed and checks that no
// other input verifies: a fuzzer cannot sign, so anything it makes that is
// accepted is a forgery.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/notice.hpp"
#include "consent/crypto/encoding.hpp"

namespace consent::fuzz {

// A property failed: prints what and aborts, so libFuzzer keeps the input as a
// crash and the replay test fails.
[[noreturn]] void fail(std::string_view property, std::string_view detail = {});
inline void check(bool holds, std::string_view property, std::string_view detail = {}) {
    if (!holds) fail(property, detail);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A file of the checkout (tests/data, tests/vectors), by path from the source root.
std::string read_source_file(const std::string& relative_path);

// tests/data/notices/shop.json (bike-shop, version 3) and its content hash.
const Notice& shop_notice();
const std::string& shop_notice_hash();

// A fixed "now" (2026-01-01T00:00:00Z), as in tests/support/fixtures.hpp.
inline constexpr std::int64_t kNow = 1767225600;
inline constexpr const char* kSite = "bike-shop";
inline constexpr const char* kLogOrigin = "consentd/receipts";
inline constexpr const char* kBundleSubject = "b_RnV6ei1idW5kbGUtc3ViaiE";

struct TestKey {
    std::array<std::uint8_t, 32> public_key{};
    std::array<std::uint8_t, 64> secret_key{};  // libsodium: seed || public key
    std::string kid;                            // RFC 7638 thumbprint of its OKP JWK

    Bytes sign(std::string_view message) const;
    std::string x() const;        // base64url public key (the JWK's "x")
    nlohmann::json jwks() const;  // {"keys":[{kty,crv,x,kid,alg,use}]}
};

// The fuzz key, from the seed "consent fuzz: fixed test key #1".
const TestKey& fixed_key();

// tests/data/receipts/served_receipt.json: a receipt and checkpoint signed by
// a real consentd (key unknown to us), with its JWKS.
struct ServedReceipt {
    std::string origin;
    std::string jws;
    std::string checkpoint;
    nlohmann::json jwks;
};
const ServedReceipt& served_receipt();

// A log of five receipts signed with fixed_key(): three of kBundleSubject (log
// indices 0, 2, 4, chained by prev) and two of other subjects, a checkpoint of
// tree size 5, and the subject's proof bundle as consentctl export writes it.
struct SignedLog {
    std::vector<std::string> leaves;       // every receipt JWS, in log order
    std::vector<std::string> subject_jws;  // the subject's receipts, in log order
    std::string checkpoint;
    std::string bundle_text;
};
const SignedLog& signed_log();

// A subject token for ("bike-shop", kTokenSubject) signed by fixed_key(),
// issued at kNow and valid ten minutes.
inline constexpr const char* kTokenSubject = "account-4711";
const std::string& subject_token();

}  // namespace consent::fuzz
