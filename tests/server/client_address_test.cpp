// Who the client of a request is (server/http/client_address.hpp): addresses and
// networks parsed strictly, forwarding headers believed only from trusted
// proxies and read right to left, and the rate-limit key per IPv4 address or IPv6 /64.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/client_address.hpp"

namespace {

using consent::server::client_key;
using consent::server::ForwardedHeader;
using consent::server::parse_cidr;
using consent::server::parse_cidr_list;
using consent::server::parse_ip;
using consent::server::rate_limit_key;
using consent::server::TrustedProxies;

TrustedProxies trusting(const std::string& list, ForwardedHeader header = ForwardedHeader::x_forwarded_for) {
    auto networks = parse_cidr_list(list);
    REQUIRE(networks);
    return TrustedProxies{*networks, header};
}

}  // namespace

TEST_CASE("literal addresses parse, anything else is refused", "[server][client_address]") {
    struct Row {
        const char* text;
        const char* shown;  // "" = refused
    };
    const auto row = GENERATE(values<Row>({
        {"192.0.2.1", "192.0.2.1"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        {"2001:db8::1", "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"::1", "::1"},
        {"::ffff:192.0.2.1", "192.0.2.1"},  // IPv4-mapped IPv6 is the IPv4 address
        {"", ""},
        {"192.0.2", ""},
        {"192.0.2.1.5", ""},
        {"192.0.2.256", ""},
        {"192.0.2.01", ""},  // a leading zero reads as octal elsewhere
        {" 192.0.2.1", ""},
        {"192.0.2.1:80", ""},
        {"[2001:db8::1]", ""},
        {"fe80::1%eth0", ""},
        {"2001:db8::1::2", ""},
        {"unknown", ""},
        {"_hidden", ""},
        {"1.2.3.4\n", ""},
    }));
    CAPTURE(row.text);
    const auto address = parse_ip(row.text);
    if (std::string(row.shown).empty()) {
        CHECK_FALSE(address);
    } else {
        REQUIRE(address);
        CHECK(address->to_string() == row.shown);
    }
}

TEST_CASE("trusted networks parse strictly and a bad one says what is wrong", "[server][client_address]") {
    struct Row {
        const char* text;
        const char* inside;   // an address the network holds ("" = the network is refused)
        const char* outside;  // an address it does not hold
        const char* complaint;
    };
    const auto row = GENERATE(values<Row>({
        {"10.0.0.0/8", "10.255.1.2", "11.0.0.1", ""},
        {"127.0.0.2/32", "127.0.0.2", "127.0.0.1", ""},
        {"127.0.0.2", "127.0.0.2", "127.0.0.3", ""},
        {"192.168.0.0/23", "192.168.1.255", "192.168.2.0", ""},
        {"2001:db8::/32", "2001:db8:ffff::1", "2001:db9::1", ""},
        {"::1/128", "::1", "::2", ""},
        {"10.0.0.0/8", "::ffff:10.1.2.3", "::ffff:11.1.2.3", ""},  // a dual-stack socket's IPv4 peers
        {"10.0.0.1/8", "", "", "bits set after its prefix"},
        {"10.0.0.0/33", "", "", "prefix length must be 1 to 32"},
        {"2001:db8::/129", "", "", "prefix length must be 1 to 128"},
        {"10.0.0.0/", "", "", "prefix length"},
        {"10.0.0.0/08", "", "", "prefix length"},
        {"10.0.0.0/-8", "", "", "prefix length"},
        {"10.0.0.0/8x", "", "", "prefix length"},
        {"0.0.0.0/0", "", "", "trusts every address"},
        {"::/0", "", "", "trusts every address"},
        {"10.0.0.0 /8", "", "", "not an IPv4 or IPv6 address"},
        {"proxy.example", "", "", "not an IPv4 or IPv6 address"},
        {"", "", "", "not an IPv4 or IPv6 address"},
    }));
    CAPTURE(row.text);
    const auto cidr = parse_cidr(row.text);
    if (std::string(row.inside).empty()) {
        REQUIRE_FALSE(cidr);
        CHECK(cidr.error().code == "config.invalid_cidr");
        CHECK_THAT(cidr.error().message, Catch::Contains(row.complaint));
        CHECK_THAT(cidr.error().message, Catch::Contains(std::string("\"") + row.text + "\""));
    } else {
        REQUIRE(cidr);
        CHECK(cidr->contains(*parse_ip(row.inside)));
        CHECK_FALSE(cidr->contains(*parse_ip(row.outside)));
    }
}

TEST_CASE("a list of trusted networks is refused as a whole when one item is bad", "[server][client_address]") {
    CHECK(parse_cidr_list("127.0.0.2/32,10.0.0.0/8,::1")->size() == 3);
    const auto bad = parse_cidr_list("127.0.0.2/32,10.0.0.0/8x");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains("\"10.0.0.0/8x\""));
    CHECK_FALSE(parse_cidr_list("127.0.0.2/32,"));
    CHECK_FALSE(parse_cidr_list(""));
}

TEST_CASE("X-Forwarded-For names the client only when the peer is a trusted proxy", "[server][client_address]") {
    struct Row {
        const char* peer;
        std::vector<std::string> header;
        const char* key;
    };
    const auto trusted = trusting("127.0.0.2/32,10.0.0.0/8");
    const auto row = GENERATE(values<Row>({
        // An untrusted peer is the client, whatever it claims.
        {"203.0.113.9", {"198.51.100.1"}, "203.0.113.9"},
        {"127.0.0.1", {"198.51.100.1"}, "127.0.0.1"},
        // A trusted proxy: the right-most address it does not trust.
        {"127.0.0.2", {"198.51.100.1"}, "198.51.100.1"},
        {"127.0.0.2", {"198.51.100.66, 198.51.100.1"}, "198.51.100.1"},    // the client forged the left part
        {"127.0.0.2", {"198.51.100.1, 10.1.1.1"}, "198.51.100.1"},         // two trusted hops
        {"127.0.0.2", {"garbage, 198.51.100.1"}, "198.51.100.1"},          // junk left of the client is never read
        {"127.0.0.2", {"198.51.100.66", "198.51.100.1"}, "198.51.100.1"},  // two header lines are one list
        {"127.0.0.2", {" 198.51.100.1 ,, "}, "198.51.100.1"},              // OWS and empty elements
        {"127.0.0.2", {"10.0.0.7, 10.1.1.1"}, "10.0.0.7"},                 // every hop trusted: the first
        {"::ffff:127.0.0.2", {"198.51.100.1"}, "198.51.100.1"},            // a dual-stack socket's peer
        {"127.0.0.2", {"2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"},
        // Malformed from a trusted proxy: the proxy's own address, never a guess.
        {"127.0.0.2", {}, "127.0.0.2"},
        {"127.0.0.2", {""}, "127.0.0.2"},
        {"127.0.0.2", {"198.51.100.1, garbage"}, "127.0.0.2"},
        {"127.0.0.2", {"unknown"}, "127.0.0.2"},
        {"127.0.0.2", {"198.51.100.1:4711"}, "127.0.0.2"},
        {"127.0.0.2", {"[2001:db8::1]"}, "127.0.0.2"},
        {"127.0.0.2", {"\"198.51.100.1"}, "127.0.0.2"},
        {"127.0.0.2", {std::string(10000, ',') + "x"}, "127.0.0.2"},
        // A peer that is not an address (not seen from httplib): its text as is.
        {"", {"198.51.100.1"}, ""},
    }));
    CAPTURE(row.peer, row.header);
    CHECK(client_key(row.peer, row.header, trusted) == row.key);
}

TEST_CASE("with no trusted proxy every forwarding header is ignored", "[server][client_address]") {
    const TrustedProxies none;
    CHECK(client_key("127.0.0.2", {"198.51.100.1"}, none) == "127.0.0.2");
    CHECK(client_key("2001:db8::1", {"198.51.100.1"}, none) == "2001:db8::/64");
}

TEST_CASE("RFC 7239 Forwarded names the client by its for= parameter, read right to left", "[server][client_address]") {
    struct Row {
        std::vector<std::string> header;
        const char* key;
    };
    const auto trusted = trusting("127.0.0.2/32", ForwardedHeader::forwarded);
    const auto row = GENERATE(values<Row>({
        {{"for=198.51.100.1"}, "198.51.100.1"},
        {{"For=198.51.100.1"}, "198.51.100.1"},  // parameter names are case-insensitive (§4)
        {{"for=\"198.51.100.1:4711\""}, "198.51.100.1"},
        {{"for=\"[2001:db8:cafe::17]:4711\""}, "2001:db8:cafe::/64"},
        {{"for=\"[2001:db8:cafe::17]\""}, "2001:db8:cafe::/64"},
        {{"for=198.51.100.66, for=198.51.100.1;proto=https;by=127.0.0.2"}, "198.51.100.1"},
        {{"for=198.51.100.66", "for=198.51.100.1"}, "198.51.100.1"},
        {{"proto=\"a,b\";for=198.51.100.1"}, "198.51.100.1"},  // a quoted comma separates nothing
        {{"for=127.0.0.2"}, "127.0.0.2"},
        // Not an address before the client is reached: the proxy itself.
        {{"for=unknown"}, "127.0.0.2"},
        {{"for=_hidden"}, "127.0.0.2"},
        {{"for=\"_hidden:_port\""}, "127.0.0.2"},
        {{"for=2001:db8::1"}, "127.0.0.2"},         // IPv6 must be bracketed and quoted
        {{"for=\"[198.51.100.1]\""}, "127.0.0.2"},  // brackets hold IPv6 only
        {{"for=\"[2001:db8::1]:x\""}, "127.0.0.2"},
        {{"for=\"198.51.100.1"}, "127.0.0.2"},                 // an unterminated quote
        {{"proto=https"}, "127.0.0.2"},                        // an element without for=
        {{"for=198.51.100.1;for=198.51.100.2"}, "127.0.0.2"},  // twice in one element (§4)
        {{"for"}, "127.0.0.2"},
        {{"=198.51.100.1"}, "127.0.0.2"},
        {{"198.51.100.1"}, "127.0.0.2"},  // an X-Forwarded-For value is not a Forwarded element
    }));
    CAPTURE(row.header);
    CHECK(client_key("127.0.0.2", row.header, trusted) == row.key);
}

TEST_CASE("IPv6 clients share one bucket per /64 and IPv4 ones have one each", "[server][client_address]") {
    struct Row {
        const char* address;
        const char* key;
    };
    const auto row = GENERATE(values<Row>({
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
        {"::ffff:198.51.100.7", "198.51.100.7"},
        {"198.51.100.7", "198.51.100.7"},
        {"198.51.100.8", "198.51.100.8"},
    }));
    CAPTURE(row.address);
    CHECK(rate_limit_key(*parse_ip(row.address)) == row.key);
}

TEST_CASE("a trusted network is shown as it was meant", "[server][client_address]") {
    const auto text = GENERATE(as<std::string>{}, "10.0.0.0/8", "127.0.0.2/32", "2001:db8::/32", "::1/128");
    CAPTURE(text);
    CHECK(parse_cidr(text)->to_string() == text);
}
