#include "consent/consent/pseudonym.hpp"

#include "consent/consent/subject_trust.hpp"
#include "consent/crypto/encoding.hpp"

namespace consent {

bool stored_as_given(std::string_view subject_id) noexcept { return is_browser_subject_id(subject_id); }

// 128 bits, as a browser-made id: collisions among a site's accounts are as
// unlikely as among its browsers.
std::string pseudonym_from_mac(const std::array<std::uint8_t, 32>& mac) {
    return "p_" + base64url_encode(mac.data(), 16);
}

}  // namespace consent
