#include "consent/consent/text_rules.hpp"

namespace consent {
namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alpha(char c) { return lower(c) || upper(c); }

template <class Pred>
bool all_of(std::string_view s, Pred pred) {
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Host part of a URL/origin after the scheme: letters, digits, dots, hyphens,
// an optional :port; stops at the first '/', '?' or '#'.
bool valid_authority(std::string_view rest, bool allow_path) {
    const auto end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, end);
    if (!allow_path && end != std::string_view::npos) return false;
    if (authority.empty()) return false;
    const auto colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (host.empty() || !all_of(host, [](char c) { return alpha(c) || digit(c) || c == '.' || c == '-'; }))
        return false;
    if (colon == std::string_view::npos) return true;
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !all_of(port, digit)) return false;
    int value = 0;
    for (char c : port) value = value * 10 + (c - '0');
    return value >= 1 && value <= 65535;
}

bool no_spaces_or_controls(std::string_view s) {
    return all_of(s, [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
}

}  // namespace

bool is_purpose_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= 40 && lower(s[0]) &&
           all_of(s, [](char c) { return lower(c) || digit(c) || c == '_'; });
}

bool is_notice_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= 64 && (lower(s[0]) || digit(s[0])) &&
           all_of(s, [](char c) { return lower(c) || digit(c) || c == '_' || c == '-'; });
}

bool is_opaque_id(std::string_view s) noexcept {
    return s.size() >= 8 && s.size() <= 64 &&
           all_of(s, [](char c) { return alpha(c) || digit(c) || c == '_' || c == '-'; });
}

bool is_subject_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= 128 && all_of(s, [](char c) {
        return alpha(c) || digit(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '@';
    });
}

bool is_language_tag(std::string_view s) noexcept {
    // primary subtag of 2-3 letters, then subtags of 1-8 alphanumerics.
    if (s.empty() || s.size() > 35) return false;
    std::size_t start = 0;
    bool first = true;
    while (start <= s.size()) {
        const auto dash = s.find('-', start);
        const std::string_view part = s.substr(start, dash == std::string_view::npos ? s.npos : dash - start);
        if (first ? (part.size() < 2 || part.size() > 3 || !all_of(part, alpha))
                  : (part.empty() || part.size() > 8 || !all_of(part, [](char c) { return alpha(c) || digit(c); })))
            return false;
        first = false;
        if (dash == std::string_view::npos) return true;
        start = dash + 1;
    }
    return false;
}

bool is_cookie_pattern(std::string_view s) noexcept {
    if (s.empty() || s.size() > 128) return false;
    std::string_view body = s.back() == '*' ? s.substr(0, s.size() - 1) : s;
    if (body.empty()) return false;  // "*" alone would match every cookie on the site
    // RFC 6265 token (RFC 2616 §2.2): US-ASCII, no controls, no separators "()<>@,;:\"/[]?={} \t".
    constexpr std::string_view separators = "()<>@,;:\\\"/[]?={} \t*";
    return all_of(body, [&](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f &&
               separators.find(c) == std::string_view::npos;
    });
}

bool is_web_url(std::string_view s) noexcept {
    if (!no_spaces_or_controls(s)) return false;
    if (starts_with(s, "https://")) return valid_authority(s.substr(8), true);
    if (!starts_with(s, "http://")) return false;
    // Plain http only for the development hosts themselves, not "localhost.evil.example".
    const std::string_view rest = s.substr(7);
    const std::string_view host = rest.substr(0, rest.find_first_of(":/?#"));
    return (host == "localhost" || host == "127.0.0.1") && valid_authority(rest, true);
}

bool is_origin(std::string_view s) noexcept {
    if (!no_spaces_or_controls(s)) return false;
    if (starts_with(s, "https://")) return valid_authority(s.substr(8), false);
    if (starts_with(s, "http://")) return valid_authority(s.substr(7), false);
    return false;
}

}  // namespace consent
