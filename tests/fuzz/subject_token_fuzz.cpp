// Subject tokens on untrusted text, verified the way consentd does
// (server/service/consent_service.cpp verify_subject_token): the compact JWS
// with typ consent-subject+jwt, the key by its RFC 7638 thumbprint, the
// Ed25519 signature, then the claims (core). Properties:
// - the only token that is accepted is the one the site's key signed, byte for byte;
// - the claims check, run on any JSON object the input is, never misbehaves
//   (it reads integers a token's signer chose: no overflow, no UB).
#include <sodium.h>

#include <cstdint>

#include "consent/consent/subject_trust.hpp"
#include "consent/crypto/ed25519.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;

namespace {

bool token_accepted(const std::string& token) {
    auto jws = parse_compact_jws_as(token, kSubjectTokenType, false);
    if (!jws) return false;
    const auto& key = fuzz::fixed_key();
    if (jws->header.value("kid", std::string()) != key.kid) return false;
    if (!ed25519_verify(key.public_key.data(), reinterpret_cast<const std::uint8_t*>(jws->signing_input.data()),
                        jws->signing_input.size(), jws->signature.data()))
        return false;
    return check_subject_token_claims(jws->payload, fuzz::kSite, fuzz::kTokenSubject, fuzz::kNow + 1).ok();
}

// The claims as a signer could write them: site and subject as the token says.
void claims(std::string_view text) {
    const auto payload = parse_json_strict(text);
    if (!payload || !payload->is_object()) return;
    const auto sub = payload->find("sub");
    const std::string subject = sub != payload->end() && sub->is_string() ? sub->get<std::string>() : "";
    for (const std::int64_t now : {fuzz::kNow, std::int64_t{0}, std::int64_t{253402300799}})
        (void)check_subject_token_claims(*payload, fuzz::kSite, subject, now);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (sodium_init() < 0) fuzz::fail("sodium_init");
    fuzz::check(token_accepted(fuzz::subject_token()), "the signed token verifies");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::as_text(data, size));
    if (token_accepted(text))
        fuzz::check(text == fuzz::subject_token(), "only the token the site's key signed is accepted", text);
    claims(text);
    return 0;
}
