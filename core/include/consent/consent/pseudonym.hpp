// Account ids never in plain (issue #13, docs/erasure.md "Account ids never in
// plain"). A browser-made id is 128 random bits and names no one: it is stored
// as it is. Any other id (an account id, an email) is guessable and personal:
// the service stores and signs a keyed pseudonym of it instead,
//   "p_" + base64url(first 16 bytes of HMAC-SHA-256(site secret, "subject" 0x00 id)),
// so the site can still show that a receipt is an account's by recomputing it,
// and dropping the site's secret unlinks every account at once. The MAC needs
// the secret, so the server computes it; which ids are mapped, and the
// pseudonym's form, are decided here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace consent {

inline constexpr std::string_view kPseudonymLabel = "subject";

// True for an id stored and signed as given (a browser-made id); every other id
// is mapped to its pseudonym, a pseudonym-looking one too (mapping is not
// undone by choosing the right spelling).
bool stored_as_given(std::string_view subject_id) noexcept;

// "p_" + 22 base64url characters, from the MAC of the id.
std::string pseudonym_from_mac(const std::array<std::uint8_t, 32>& mac);

}  // namespace consent
