// consentd's flags (server/http/server_config.hpp): the proxy and rate-limit
// settings, and a bad value stops start-up with a message that says why; the
// configuration file (http/config_file.hpp) and the one shipped in deploy/.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "http/server_config.hpp"
#include "server_fixture.hpp"
#include "test_files.hpp"

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

namespace {

// A configuration file in a fresh temporary directory.
struct ConfigFile {
    consent::test::TempDir dir;
    std::string path;
    explicit ConfigFile(const std::string& text) : path((dir.path() / "consentd.conf").string()) {
        std::ofstream(path) << text;
    }
};

}  // namespace

TEST_CASE("a configuration file sets options by their long names, and flags override it", "[server][config]") {
    ConfigFile file(
        "# consentd\n"
        "\n"
        "database = /var/lib/consentd/consentd.db\n"
        "  port=9001  \n"
        "trusted-proxy = 10.0.0.0/8\n"
        "trusted-proxy = 127.0.0.2\n"
        "log-requests = off\n"
        "host = 127.0.0.1\n");
    const auto from_file = parse_server_config({"--config=" + file.path});
    REQUIRE(from_file);
    CHECK(from_file->database == "/var/lib/consentd/consentd.db");
    CHECK(from_file->port == 9001);
    CHECK(from_file->trusted_proxies.networks.size() == 2);
    CHECK_FALSE(from_file->log_requests);

    // A flag wins whether it comes before or after --config; a repeatable
    // option given as a flag replaces all of the file's lines.
    const auto overridden =
        parse_server_config({"--port=9002", "--config=" + file.path, "--trusted-proxy=::1", "--log-requests=on"});
    REQUIRE(overridden);
    CHECK(overridden->port == 9002);
    CHECK(overridden->database == "/var/lib/consentd/consentd.db");
    REQUIRE(overridden->trusted_proxies.networks.size() == 1);
    CHECK(overridden->trusted_proxies.trusts(*parse_ip("::1")));
    CHECK_FALSE(overridden->trusted_proxies.trusts(*parse_ip("127.0.0.2")));
    CHECK(overridden->log_requests);
}

TEST_CASE("a wrong line of a configuration file stops start-up naming the file and line", "[server][config]") {
    struct Row {
        const char* text;
        const char* code;
        const char* message;
    };
    const auto row = GENERATE(values<Row>({
        {"port = 8710\nprot = 8711\n", "config.unknown_flag", ":2: unknown option prot"},
        {"# ok\nport = 70000\n", "config.invalid_value", ":2: invalid value for port: an integer from 0 to 65535"},
        {"port 8710\n", "config.invalid_value", ":1: expected \"name = value\""},
        {"--port = 8710\n", "config.invalid_value", ":1: write the option name without its \"--\""},
        {"log-requests = yes\n", "config.invalid_value", ":1: invalid value for log-requests: on or off"},
        {"trusted-proxy =\n", "config.invalid_value", ":1: invalid value for trusted-proxy"},
        {"config = /etc/other.conf\n", "config.unknown_flag", ":1: a file cannot name another"},
    }));
    CAPTURE(row.text);
    ConfigFile file(row.text);
    const auto config = parse_server_config({"--config=" + file.path});
    REQUIRE_FALSE(config);
    CHECK(config.error().code == row.code);
    CHECK_THAT(config.error().message, Catch::StartsWith(file.path + row.message));
}

TEST_CASE("a missing configuration file, or --config twice, is refused", "[server][config]") {
    const auto missing = parse_server_config({"--config=/nonexistent/consentd.conf"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == "config.unreadable");
    CHECK_THAT(missing.error().message, Catch::Contains("/nonexistent/consentd.conf"));
    ConfigFile file("port = 1\n");
    CHECK_FALSE(parse_server_config({"--config=" + file.path, "--config=" + file.path}));
    CHECK_FALSE(parse_server_config({"--config="}));
}

TEST_CASE("--help has one line per option, and the shipped file names every option", "[server][config]") {
    const std::string help = consent::server::server_config_help();
    const std::string all = consent::server::server_config_file_text(consent::server::ServerConfig{});
    const std::string shipped =
        consent::test::read_file(std::string(CONSENT_SOURCE_DIR) + "/deploy/consentd/consentd.conf");
    std::istringstream lines(all);
    std::size_t options = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# ", 0) == 0) continue;  // the option's description
        const std::string name = line.substr(line[0] == '#' ? 1 : 0, line.find(" =") - (line[0] == '#' ? 1 : 0));
        CAPTURE(name);
        ++options;
        CHECK_THAT(help, Catch::Contains("\n  --" + name + "="));
        CHECK((shipped.find("\n" + name + " = ") != std::string::npos ||
               shipped.find("\n#" + name + " =") != std::string::npos));
    }
    CHECK(options >= 30);
    // The shipped file is valid as it is, and names the packaged state directory.
    ConfigFile copy(shipped);
    const auto config = parse_server_config({"--config=" + copy.path});
    REQUIRE(config);
    CHECK(config->database == "/var/lib/consentd/consentd.db");
    CHECK(config->key_dir == "/var/lib/consentd/keys");
    CHECK(config->log_requests);
}
