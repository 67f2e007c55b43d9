// Byte <-> text encodings used in receipts, proofs and hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"

namespace consent {

using Bytes = std::vector<std::uint8_t>;

std::string hex_encode(const std::uint8_t* data, std::size_t size);
template <class Container>
std::string hex_encode(const Container& c) {
    return hex_encode(c.data(), c.size());
}
// Lowercase or uppercase accepted; odd length or non-hex is "encoding.invalid_hex".
Result<Bytes> hex_decode(std::string_view text);

// RFC 4648 §4 (standard alphabet, padded) — used by the Merkle vectors.
std::string base64_encode(const std::uint8_t* data, std::size_t size);
template <class Container>
std::string base64_encode(const Container& c) {
    return base64_encode(c.data(), c.size());
}
// Strict: wrong padding, bad characters or non-zero trailing bits are
// "encoding.invalid_base64".
Result<Bytes> base64_decode(std::string_view text);

// RFC 4648 §5 (URL-safe, unpadded) — used by JWS (RFC 7515 §2).
std::string base64url_encode(const std::uint8_t* data, std::size_t size);
template <class Container>
std::string base64url_encode(const Container& c) {
    return base64url_encode(c.data(), c.size());
}
// Text as its bytes (a JWS header or payload).
inline std::string base64url_encode(const std::string& text) {
    return base64url_encode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}
Result<Bytes> base64url_decode(std::string_view text);

}  // namespace consent
