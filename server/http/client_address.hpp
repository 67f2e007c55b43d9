// Who is the client of a request, for the rate limit? The socket peer, unless
// the peer is a proxy the operator trusts: then the address that proxy names in
// X-Forwarded-For (or RFC 7239 Forwarded), read right to left, because every
// hop appends and only the hops we trust wrote the right end of the list.
// Pure functions over text: no sockets, no clock.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"

namespace consent::server {

// An IPv4 or IPv6 address, always in 16 bytes: IPv4 as IPv4-mapped IPv6
// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so one comparison serves both families.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool is_v4() const;
    std::string to_string() const;  // dotted quad for IPv4, RFC 5952 text for IPv6
};
bool operator==(const IpAddress& a, const IpAddress& b);

// A literal address only: "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1". No
// zone ids, ports, brackets, leading zeros in a quad, or spaces.
std::optional<IpAddress> parse_ip(std::string_view text);

// A network: an address and a prefix length counted in the 16-byte form
// (an IPv4 /8 is stored as /104).
struct Cidr {
    IpAddress network;
    int prefix = 128;
    bool contains(const IpAddress& address) const;
    std::string to_string() const;  // "10.0.0.0/8", "2001:db8::/32"
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a single host). Strict: the
// address bits after the prefix must be zero ("10.0.0.1/8" is a typo, refused),
// and /0 is refused (trusting every address lets any client pick its bucket).
// Error: config.invalid_cidr, the message says what is wrong.
Result<Cidr> parse_cidr(std::string_view text);
// A comma-separated list of the above, as --trusted-proxy takes it.
Result<std::vector<Cidr>> parse_cidr_list(std::string_view text);

// Which header a trusted proxy writes. Only one is read: a proxy that writes one
// usually passes the other through from the client unchanged.
enum class ForwardedHeader { x_forwarded_for, forwarded };

struct TrustedProxies {
    std::vector<Cidr> networks;
    ForwardedHeader header = ForwardedHeader::x_forwarded_for;
    bool trusts(const IpAddress& address) const;
};

// The client's address. `peer` is the socket's remote address; `header_values`
// are the values of the chosen header in the order received (several header
// lines form one list, RFC 9110 §5.3). An untrusted peer is the client. From a
// trusted peer: the right-most address not trusted; all trusted: the left-most.
// A malformed list, an "unknown" or obfuscated node (RFC 7239 §6) before an
// untrusted address is found: the peer itself, as if no header came.
// nullopt only if the peer is not an address (then key by its raw text).
std::optional<IpAddress> client_address(std::string_view peer, const std::vector<std::string>& header_values,
                                        const TrustedProxies& trusted);

// The rate-limit bucket of an address: IPv4 per address, IPv6 per /64 (one
// host usually gets a whole /64 and can pick a fresh address per request,
// RFC 4291 §2.5.1). E.g. "192.0.2.1", "2001:db8:1:2::/64".
std::string rate_limit_key(const IpAddress& address);

// Both in one step: the key of the request's client, or the raw peer text when
// the peer is not an address.
std::string client_key(std::string_view peer, const std::vector<std::string>& header_values,
                       const TrustedProxies& trusted);

}  // namespace consent::server
