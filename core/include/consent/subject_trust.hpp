// Who may post a grant in a subject's name (DESIGN.md "Subjects and trust").
//
// A browser-made subject id is 128 random bits known only to that browser: it
// works as a capability, so a grant naming it can be accepted from the public
// endpoint. Any other id (an account id others could guess) needs a short-lived
// subject token from the site's backend before a grant is accepted. A refusal or
// withdrawal is always safe to accept: it can only stop processing.
#pragma once

#include <string_view>

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
