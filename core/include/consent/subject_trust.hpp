// Who may post a grant in a subject's name (DESIGN.md "Subjects and trust").
//
// A browser-made subject id is 128 random bits known only to that browser: it
// works as a capability, so a grant naming it can be accepted from the public
// endpoint. Any other id (an account id others could guess) needs a short-lived
// subject token from the site's backend before a grant is accepted. A refusal or
// withdrawal is always safe to accept: it can only stop processing.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "consent/decision.hpp"
#include "consent/result.hpp"

namespace consent {

// "b_" followed by 22 base64url characters (16 random bytes), as the banner makes them.
bool is_browser_subject_id(std::string_view subject_id) noexcept;

// True when the decision grants at least one consent purpose.
bool grants_anything(const Decision& decision, const Notice& notice) noexcept;

// Error subject.token_required when a grant names a guessable id without a verified token.
Status check_subject_trust(const Decision& decision, const Notice& notice, bool subject_token_verified);

}  // namespace consent

namespace consent {

// A subject token: a compact JWS (alg EdDSA, typ below, kid naming the site
// backend's key) whose payload is {"site":…,"sub":…,"iat":…,"exp":…}. The
// site's backend mints it for a visitor it knows, the banner passes it along,
// consentd verifies the signature against the site's registered public keys.
inline constexpr std::string_view kSubjectTokenType = "consent-subject+jwt";
inline constexpr std::int64_t kSubjectTokenMaxLifetime = 3600;  // short-lived: one hour at most
inline constexpr std::int64_t kClockSkewAllowance = 60;         // seconds a backend's clock may run ahead

// Checks the claims for this site, subject and time. Codes: subject.token_claims,
// subject.token_wrong_site, subject.token_wrong_subject, subject.token_expired,
// subject.token_too_long_lived, subject.token_not_yet_valid.
Status check_subject_token_claims(const nlohmann::json& payload, std::string_view site_id,
                                  std::string_view subject_id, std::int64_t now);

}  // namespace consent
