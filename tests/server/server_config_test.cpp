// consentd's flags (server/http/server_config.hpp): the proxy and rate-limit
// settings, and a bad value stops start-up with a message that says why.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/server_config.hpp"

namespace {

using consent::server::ForwardedHeader;
using consent::server::parse_ip;
using consent::server::parse_server_config;

}  // namespace

TEST_CASE("by default no proxy is trusted and the open routes have their own limit", "[server][config]") {
    const auto config = parse_server_config({});
    REQUIRE(config);
    CHECK(config->trusted_proxies.networks.empty());
    CHECK(config->trusted_proxies.header == ForwardedHeader::x_forwarded_for);
    CHECK(config->open_rate_per_minute > config->public_rate_per_minute);
    CHECK(config->rate_limit_buckets == 100000);
}

TEST_CASE("the trusted-proxy flag takes lists and may be repeated", "[server][config]") {
    const auto config = parse_server_config({"--trusted-proxy=127.0.0.2/32,10.0.0.0/8", "--trusted-proxy=::1",
                                             "--forwarded-header=forwarded", "--open-rate-per-minute=60",
                                             "--open-rate-burst=5", "--rate-buckets=1000"});
    REQUIRE(config);
    const auto& trusted = config->trusted_proxies;
    CHECK(trusted.networks.size() == 3);
    CHECK(trusted.trusts(*parse_ip("127.0.0.2")));
    CHECK(trusted.trusts(*parse_ip("10.9.8.7")));
    CHECK(trusted.trusts(*parse_ip("::1")));
    CHECK_FALSE(trusted.trusts(*parse_ip("127.0.0.1")));
    CHECK(trusted.header == ForwardedHeader::forwarded);
    CHECK(config->open_rate_per_minute == 60);
    CHECK(config->open_rate_burst == 5);
    CHECK(config->rate_limit_buckets == 1000);
}

TEST_CASE("a bad proxy or rate setting stops start-up with a message that names it", "[server][config]") {
    struct Row {
        const char* arg;
        const char* message;
    };
    const auto row = GENERATE(values<Row>({
        {"--trusted-proxy=127.0.0.1/33", "invalid value for --trusted-proxy: \"127.0.0.1/33\": the prefix length"},
        {"--trusted-proxy=10.0.0.1/8", "\"10.0.0.1/8\" has address bits set after its prefix length"},
        {"--trusted-proxy=127.0.0.2,proxy.example", "\"proxy.example\" is not an IPv4 or IPv6 address"},
        {"--trusted-proxy=0.0.0.0/0", "trusts every address"},
        {"--trusted-proxy=", "is not an IPv4 or IPv6 address"},
        {"--trusted-proxy", "invalid value for --trusted-proxy: it needs a value"},
        {"--forwarded-header=x-real-ip", "invalid value for --forwarded-header: x-forwarded-for or forwarded"},
        {"--open-rate-per-minute=0", "invalid value for --open-rate-per-minute: an integer from 1 to 1000000"},
        {"--open-rate-burst=many", "invalid value for --open-rate-burst"},
        {"--rate-buckets=0", "invalid value for --rate-buckets"},
    }));
    CAPTURE(row.arg);
    const auto config = parse_server_config({row.arg});
    REQUIRE_FALSE(config);
    CHECK(config.error().code == "config.invalid_value");
    CHECK_THAT(config.error().message, Catch::Contains(row.message));
}
