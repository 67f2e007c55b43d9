// Who may speak in a subject's name (DESIGN.md "Subjects and trust").
//
// A browser-made subject id is 128 random bits known only to that browser: it
// works as a capability, so whoever names it is that visitor and the public
// endpoint accepts any decision for it. Any other id (an account id, an email)
// can be guessed: nobody may speak for it without proof, not even to refuse or
// withdraw, or anyone could flip alice@example.com to "denied" and obtain a
// signed receipt as false evidence (issue #10). The proof is a short-lived
// subject token from the site's backend, or the backend itself (its API key).
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/consent/decision.hpp"

namespace consent {

// "b_" followed by 22 base64url characters (16 random bytes), as the banner makes them.
bool is_browser_subject_id(std::string_view subject_id) noexcept;

// Who is asking to record a decision, as the server established it.
enum class Speaker {
    visitor,          // the public endpoint, no subject token
    vouched_visitor,  // the public endpoint with a verified subject token for this very subject
    backend,          // a backend route, authenticated with the site's API key
};

// Whether speaker may record a decision with this method for subject_id. Errors:
// subject.token_required (a guessable id from the public endpoint without a token,
// whatever the method), decision.method_not_allowed (server_withdraw is the
// backend's method, and the backend's only one).
Status check_speaker(std::string_view subject_id, Method method, Speaker speaker);

// Who may ask for a subject's erasure (docs/erasure.md "Who may ask"): the same
// trust as for a decision. A browser-made id is a capability, so the public
// endpoint may ask for it as it is; a guessable id needs a subject token for it
// there, or anyone could erase alice@example.com's evidence; the backend may ask
// for any id. Code: subject.token_required.
Status check_erasure_speaker(std::string_view subject_id, Speaker speaker);

// What an erasure asked on the public endpoint says in its signed receipt. A
// browser can claim no other reason than that its visitor asked; requested_by
// names the public path and the proof it brought, never a person or a key.
inline constexpr std::string_view kSubjectRequestReason = "subject_request";
inline constexpr std::string_view kPublicBrowserRequester = "public:browser_id";
inline constexpr std::string_view kPublicTokenRequester = "public:subject_token";

// kPublicBrowserRequester for a visitor, kPublicTokenRequester for a vouched
// visitor; empty for the backend, whose request names its API key instead.
std::string_view public_erasure_requester(Speaker speaker) noexcept;

}  // namespace consent

namespace consent {

// A subject token: a compact JWS (alg EdDSA, typ below, kid naming the site
// backend's key) whose payload is {"site":…,"sub":…,"iat":…,"exp":…}. The
// site's backend mints it for a visitor it knows, the banner passes it along,
// consentd verifies the signature against the site's registered public keys.
inline constexpr std::string_view kSubjectTokenType = "consent-subject+jwt";
inline constexpr std::int64_t kSubjectTokenMaxLifetime = 3600;      // short-lived: one hour at most
inline constexpr std::int64_t kClockSkewAllowance = 60;             // seconds a backend's clock may run ahead
inline constexpr std::int64_t kSubjectTokenMaxTime = 253402300799;  // iat and exp: 9999-12-31T23:59:59Z at most

// Checks the claims for this site, subject and time (any now, checked
// arithmetic throughout). Codes: subject.token_claims (a claim missing, not an
// integer, outside 0..kSubjectTokenMaxTime, or exp not after iat),
// subject.token_wrong_site, subject.token_wrong_subject, subject.token_expired,
// subject.token_too_long_lived, subject.token_not_yet_valid.
Status check_subject_token_claims(const nlohmann::json& payload, std::string_view site_id, std::string_view subject_id,
                                  std::int64_t now);

}  // namespace consent
