#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace consent::server {
namespace {

using Hop = std::optional<IpAddress>;  // one element of a forwarding list; nullopt: not an address

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::size_t kMaxAddressText = 45;  // INET6_ADDRSTRLEN - 1: the longest IPv6 text

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// Splits on `separator` outside RFC 9110 §5.6.4 quoted strings (with \-escapes).
std::vector<std::string_view> split_unquoted(std::string_view s, char separator) {
    std::vector<std::string_view> parts;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') ++i;
        else if (s[i] == '"') quoted = !quoted;
        else if (!quoted && s[i] == separator) {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(s.substr(start));
    return parts;
}

std::vector<std::string_view> split_plain(std::string_view s, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto at = s.find(separator, start);
        parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return parts;
        start = at + 1;
    }
}

// RFC 9110 §5.6.4: a quoted string's content, or nullopt when it is not one.
std::optional<std::string> unquote(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        if (s[i] == '\\') {
            if (++i + 1 >= s.size()) return std::nullopt;  // an escape of the closing quote
        } else if (s[i] == '"') {
            return std::nullopt;
        }
        out.push_back(s[i]);
    }
    return out;
}

bool is_port(std::string_view p) {
    // RFC 7239 §6: node-port = port / obfport; port = 1*5DIGIT; obfport = "_" 1*(ALPHA / DIGIT / "." / "_" / "-")
    if (p.empty() || p.size() > 5 + 1) return false;
    if (p.front() == '_') return p.size() > 1;
    return p.size() <= 5 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 7239 §6: node = nodename [ ":" node-port ]; IPv6 only in brackets. An
// "unknown" or obfuscated nodename is not an address: nullopt.
Hop parse_node(std::string_view node) {
    if (!node.empty() && node.front() == '[') {
        const auto close = node.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const auto rest = node.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
        const auto inside = node.substr(1, close - 1);
        if (inside.find(':') == std::string_view::npos) return std::nullopt;  // brackets hold IPv6 only
        return parse_ip(inside);
    }
    const auto colon = node.find(':');
    if (colon != std::string_view::npos && !is_port(node.substr(colon + 1))) return std::nullopt;
    return parse_ip(node.substr(0, colon));
}

// RFC 7239 §4: forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] ),
// forwarded-pair = token "=" value. The element's "for" node, exactly once.
Hop forwarded_for(std::string_view element) {
    std::optional<std::string> node;
    for (const auto pair : split_unquoted(element, ';')) {
        const auto item = trim(pair);
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) return std::nullopt;
        std::string name(item.substr(0, eq));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name != "for") continue;
        if (node) return std::nullopt;  // §4: a parameter MUST NOT occur more than once per element
        const auto value = item.substr(eq + 1);
        node = value.empty() || value.front() != '"' ? std::optional<std::string>(std::string(value)) : unquote(value);
        if (!node) return std::nullopt;
    }
    if (!node) return std::nullopt;
    return parse_node(*node);
}

// The hops of every header line, left to right. Empty list elements are
// ignored (RFC 9110 §5.6.1).
std::vector<Hop> hops(const std::vector<std::string>& header_values, ForwardedHeader header) {
    std::vector<Hop> out;
    for (const auto& value : header_values) {
        // X-Forwarded-For has no quoting; Forwarded may quote a comma (RFC 7239 §4).
        const bool rfc7239 = header == ForwardedHeader::forwarded;
        for (const auto raw : rfc7239 ? split_unquoted(value, ',') : split_plain(value, ',')) {
            const auto element = trim(raw);
            if (element.empty()) continue;
            out.push_back(rfc7239 ? forwarded_for(element) : parse_ip(element));
        }
    }
    return out;
}

}  // namespace

bool IpAddress::is_v4() const { return std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes.begin()); }

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    const bool v4 = is_v4();
    ::inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data() + (v4 ? 12 : 0), text, sizeof text);
    return text;
}

bool operator==(const IpAddress& a, const IpAddress& b) { return a.bytes == b.bytes; }

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > kMaxAddressText || text.find('\0') != std::string_view::npos) return std::nullopt;
    const std::string z(text);  // inet_pton wants a terminated string
    IpAddress out;
    if (z.find(':') != std::string::npos) {
        if (::inet_pton(AF_INET6, z.c_str(), out.bytes.data()) != 1) return std::nullopt;
        return out;
    }
    // glibc's inet_pton takes exactly four decimal parts and refuses leading zeros.
    std::copy(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), out.bytes.begin());
    if (::inet_pton(AF_INET, z.c_str(), out.bytes.data() + 12) != 1) return std::nullopt;
    return out;
}

bool Cidr::contains(const IpAddress& address) const {
    for (int bit = 0; bit < prefix; bit += 8) {
        const int bits = std::min(8, prefix - bit);
        const auto mask = static_cast<std::uint8_t>(0xff00u >> bits);
        if ((address.bytes[bit / 8] & mask) != (network.bytes[bit / 8] & mask)) return false;
    }
    return true;
}

std::string Cidr::to_string() const {
    return network.to_string() + "/" + std::to_string(network.is_v4() ? prefix - 96 : prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
    const std::string shown = "\"" + std::string(text.substr(0, 64)) + "\"";
    const auto slash = text.find('/');
    const auto address = parse_ip(text.substr(0, slash));
    if (!address) return make_error("config.invalid_cidr", shown + " is not an IPv4 or IPv6 address or network");
    const int bits = address->is_v4() ? 32 : 128;
    int prefix = bits;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
            prefix > bits || (digits.size() > 1 && digits.front() == '0'))
            return make_error("config.invalid_cidr",
                              shown + ": the prefix length must be 1 to " + std::to_string(bits));
    }
    if (prefix == 0)
        return make_error("config.invalid_cidr",
                          shown + " trusts every address: any client could choose its own bucket");
    Cidr cidr{*address, prefix + (address->is_v4() ? 96 : 0)};
    // Strict: bits after the prefix must be zero ("10.0.0.1/8" is likely a typo).
    for (int bit = cidr.prefix; bit < 128; ++bit)
        if (address->bytes[bit / 8] & (0x80u >> (bit % 8)))
            return make_error("config.invalid_cidr", shown + " has address bits set after its prefix length");
    return cidr;
}

Result<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
    std::vector<Cidr> out;
    for (const auto item : split_plain(text, ',')) {
        auto cidr = parse_cidr(item);
        if (!cidr) return cidr.error();
        out.push_back(*cidr);
    }
    return out;
}

bool TrustedProxies::trusts(const IpAddress& address) const {
    return std::any_of(networks.begin(), networks.end(), [&](const Cidr& c) { return c.contains(address); });
}

std::optional<IpAddress> client_address(std::string_view peer, const std::vector<std::string>& header_values,
                                        const TrustedProxies& trusted) {
    const auto peer_address = parse_ip(peer);
    if (!peer_address || !trusted.trusts(*peer_address)) return peer_address;
    const auto list = hops(header_values, trusted.header);
    for (auto hop = list.rbegin(); hop != list.rend(); ++hop) {
        if (!*hop) return peer_address;  // malformed before we reached the client: believe only the socket
        if (!trusted.trusts(**hop)) return *hop;
    }
    return list.empty() ? peer_address : list.front();  // every hop trusted: the first one sent it
}

std::string rate_limit_key(const IpAddress& address) {
    if (address.is_v4()) return address.to_string();
    IpAddress network = address;
    std::fill(network.bytes.begin() + 8, network.bytes.end(), 0);
    return network.to_string() + "/64";
}

std::string client_key(std::string_view peer, const std::vector<std::string>& header_values,
                       const TrustedProxies& trusted) {
    const auto address = client_address(peer, header_values, trusted);
    return address ? rate_limit_key(*address) : std::string(peer);
}

}  // namespace consent::server
