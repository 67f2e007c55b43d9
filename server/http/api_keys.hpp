// Backend API keys: "ck_<key id>.<secret>". Only SHA-256 of the secret is
// stored; the whole key is shown once, when it is made. A key is scoped to one
// site and can read nothing of another.
#pragma once

#include <string>
#include <string_view>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

struct NewApiKey {
    ApiKeyRecord record;
    std::string plaintext;  // give to the operator once; never log or store it
};

// backend: the one backend name the key speaks for ("" = any of the site's).
NewApiKey make_api_key(const std::string& site_id, std::int64_t now, const std::string& backend = "");

// Checks an "Authorization" header value for site_id. Codes: auth.missing_key,
// auth.invalid_key (unknown, revoked, wrong secret: one code, so a caller learns
// nothing about which), auth.wrong_site.
Status authorize(ReceiptStore& store, std::string_view authorization_header, const std::string& site_id);

// The store's id of a key as listings show it ("ck_<id>" -> "<id>").
std::string stored_key_id(std::string_view shown_id);

}  // namespace consent::server
