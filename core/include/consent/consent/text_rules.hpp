// Syntax of the identifiers and tags the core accepts from configuration and
// from the network. Narrow on purpose: these strings end up in URLs, cookies,
// receipts and logs.
#pragma once

#include <string_view>

namespace consent {

bool is_purpose_id(std::string_view s) noexcept;  // [a-z][a-z0-9_]{0,39}
bool is_notice_id(std::string_view s) noexcept;   // [a-z0-9][a-z0-9_-]{0,63}
bool is_opaque_id(std::string_view s) noexcept;   // [A-Za-z0-9_-]{8,64}: decision ids
bool is_subject_id(std::string_view s) noexcept;  // [A-Za-z0-9_.:@-]{1,128}
// BCP 47 in the shape browsers report: "en", "pt-BR", "zh-Hant-TW" (RFC 5646 §2.1, simplified).
bool is_language_tag(std::string_view s) noexcept;
// RFC 6265 §4.1.1 cookie-name token, optionally ending in '*' for a prefix.
bool is_cookie_pattern(std::string_view s) noexcept;
// https://…, or http://localhost / http://127.0.0.1 for development.
bool is_web_url(std::string_view s) noexcept;
// RFC 6454 origin: scheme://host[:port] with no path.
bool is_origin(std::string_view s) noexcept;

}  // namespace consent
