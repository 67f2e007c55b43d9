#include "http/api_keys.hpp"

#include <sodium.h>

#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "crypto/random_id.hpp"

namespace consent::server {
namespace {

constexpr std::string_view kBearer = "Bearer ";
constexpr std::string_view kPrefix = "ck_";

std::string secret_hash(std::string_view secret) { return hex_encode(sha256(secret)); }

}  // namespace

NewApiKey make_api_key(const std::string& site_id, std::int64_t now, const std::string& backend) {
    const std::string key_id = random_id("", 9);   // 12 characters, public
    const std::string secret = random_id("", 32);  // 256 bits
    ApiKeyRecord record{key_id, site_id, secret_hash(secret), now, std::nullopt, backend};
    return {record, std::string(kPrefix) + key_id + "." + secret};
}

Status authorize(ReceiptStore& store, std::string_view header, const std::string& site_id) {
    if (header.empty()) return make_error("auth.missing_key", "this endpoint needs Authorization: Bearer <api key>");
    const Error invalid = make_error("auth.invalid_key", "the API key is not valid");
    if (header.substr(0, kBearer.size()) != kBearer) return invalid;
    const std::string_view key = header.substr(kBearer.size());
    const auto dot = key.find('.');
    if (key.substr(0, kPrefix.size()) != kPrefix || dot == std::string_view::npos) return invalid;
    const std::string key_id(key.substr(kPrefix.size(), dot - kPrefix.size()));
    const auto record = store.api_key(key_id);
    // A key store that cannot be read is a 503 the backend retries, not a
    // 401 that tells it its key is wrong.
    if (!record) return is_not_found(record.error()) ? invalid : record.error();
    if (record->revoked_at) return invalid;
    const std::string presented = secret_hash(key.substr(dot + 1));
    // Constant time: the comparison must not tell how many characters matched.
    if (presented.size() != record->key_hash.size() ||
        sodium_memcmp(presented.data(), record->key_hash.data(), presented.size()) != 0)
        return invalid;
    if (record->site_id != site_id) return make_error("auth.wrong_site", "this API key belongs to another site");
    return Unit{};
}

std::string stored_key_id(std::string_view shown_id) {
    if (shown_id.substr(0, kPrefix.size()) == kPrefix) shown_id.remove_prefix(kPrefix.size());
    return std::string(shown_id);
}

}  // namespace consent::server
