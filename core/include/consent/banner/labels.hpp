// Built-in labels of the banner's controls, so that a site only writes its own
// explanation. A notice may override any of them per language.
#pragma once

#include <string>
#include <string_view>

#include "consent/consent/label_keys.hpp"

namespace consent {

// The built-in text for key in language (its primary subtag), English when the
// language has no built-in table. Empty only for an unknown key.
std::string builtin_label(std::string_view language, std::string_view key);

// "rtl" for scripts written right to left (Arabic, Hebrew, Persian, Urdu, …), else "ltr".
std::string_view text_direction(std::string_view language) noexcept;

}  // namespace consent
