#include <catch2/catch.hpp>

#include <string>

#include "consent/consent/text_rules.hpp"

namespace {

using namespace std::string_literals;

// One row: the input and whether the predicate accepts it.
struct Row {
    std::string input;
    bool accepted;
};

}  // namespace

TEST_CASE("is_purpose_id accepts [a-z][a-z0-9_]{0,39} only", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"a", true},
        {"analytics", true},
        {"ads_2", true},
        {"a" + std::string(39, '_'), true},
        {"", false},
        {"Analytics", false},
        {"2ads", false},
        {"_ads", false},
        {"ads-x", false},
        {"ads x", false},
        {"ads.x", false},
        {"a" + std::string(40, 'b'), false},
        {"caf\xC3\xA9", false},
        {"ads\0x"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_purpose_id(row.input) == row.accepted);
}

TEST_CASE("is_notice_id accepts [a-z0-9][a-z0-9_-]{0,63} only", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"bike-shop", true},
        {"0shop", true},
        {"a", true},
        {"shop_v2", true},
        {std::string(64, 'a'), true},
        {"", false},
        {"-shop", false},
        {"_shop", false},
        {"Shop", false},
        {"shop/1", false},
        {"shop.v2", false},
        {"shop v2", false},
        {std::string(65, 'a'), false},
        {"shop\0"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_notice_id(row.input) == row.accepted);
}

TEST_CASE("is_opaque_id accepts 8 to 64 of [A-Za-z0-9_-], as decision ids are", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"abcdefgh", true},
        {"A1b2_C3-", true},
        {"01HQZX3V9N8K2M4P6R8T0W2Y4A", true},
        {std::string(64, 'Z'), true},
        {"abcdefg", false},
        {"", false},
        {std::string(65, 'Z'), false},
        {"abcd efgh", false},
        {"abcdefg.", false},
        {"abcd/efgh", false},
        {"abcdefg\xC3\xA9", false},
        {"abcd\0efgh"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_opaque_id(row.input) == row.accepted);
}

TEST_CASE("is_subject_id accepts 1 to 128 of [A-Za-z0-9_.:@-]", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"a", true},
        {"user@example.com", true},
        {"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", true},
        {"a.b-c_d", true},
        {std::string(128, 'x'), true},
        {"", false},
        {std::string(129, 'x'), false},
        {"a b", false},
        {"a/b", false},
        {"a+b", false},
        {"a\n", false},
        {"b\xC3\xA9la", false},
        {"ab\0"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_subject_id(row.input) == row.accepted);
}

TEST_CASE("is_language_tag accepts BCP 47 tags in the shape browsers report", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"en", true},
        {"pt-BR", true},
        {"zh-Hant-TW", true},
        {"de-AT", true},
        {"EN", true},
        {"ast", true},
        {"es-419", true},
        {"sl-rozaj-biske", true},
        {"en-aaaaaaaa-bbbbbbbb-cccccccc-ddddd", true},  // 35 characters
        {"", false},
        {"e", false},
        {"engl", false},
        {"en-", false},
        {"-en", false},
        {"en--US", false},
        {"en_US", false},
        {"e1", false},
        {"12", false},
        {"en-123456789", false},
        {"en US", false},
        {"en-aaaaaaaa-bbbbbbbb-cccccccc-dddddd", false},  // 36 characters
        {"en\0"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_language_tag(row.input) == row.accepted);
}

// RFC 6265 §4.1.1: a cookie-name is a token (RFC 2616 §2.2): US-ASCII, no controls or separators.
TEST_CASE("is_cookie_pattern accepts a cookie token, optionally ending in '*'", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"basket", true},
        {"_ga*", true},
        {"_pk_id*", true},
        {"__Host-session", true},
        {"a", true},
        {"a.b!#$%&'+^`|~", true},
        {std::string(128, 'c'), true},
        {std::string(127, 'c') + "*", true},
        // "*" alone would match every cookie on the site.
        {"*", false},
        {"", false},
        {"**", false},
        {"a**", false},
        {"a*b", false},
        {"a b", false},
        {"a;b", false},
        {"a=b", false},
        {"a,b", false},
        {"a\"b", false},
        {"a/b", false},
        {"a\tb", false},
        {"a\x7f", false},
        {"caf\xC3\xA9", false},
        {"a\0b"s, false},
        {std::string(129, 'c'), false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_cookie_pattern(row.input) == row.accepted);
}

TEST_CASE("is_web_url accepts https URLs, and plain http only for localhost", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"https://velo.example/privacy", true},
        {"https://velo.example", true},
        {"https://velo.example:8443/p?q=1#top", true},
        {"https://xn--bcher-kva.example/", true},
        {"http://localhost", true},
        {"http://localhost:8080/privacy", true},
        {"http://127.0.0.1/privacy", true},
        {"http://127.0.0.1:5173", true},
        {"", false},
        {"http://velo.example/privacy", false},
        {"ftp://velo.example/privacy", false},
        {"javascript:alert(1)", false},
        {"data:text/html,hi", false},
        {"//velo.example/privacy", false},
        {"https://", false},
        {"https:///privacy", false},
        {"https://velo example/", false},
        {"https://velo.example/a b", false},
        {"https://velo.example/\n", false},
        {"https://velo.example:/", false},
        {"https://velo.example:123456/", false},
        {"https://user@velo.example/", false},
        // Only the development hosts themselves, not names that start like them.
        {"http://localhost.evil.example/privacy", false},
        {"http://localhostevil.example/", false},
        {"http://127.0.0.1.evil.example/", false},
        {"http://127.0.0.10/", false},
        {"http://localhost@evil.example/", false},
        {"http://localhost:80@evil.example/", false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_web_url(row.input) == row.accepted);
}

// RFC 6454 §6.2: an origin serializes as scheme "://" host [ ":" port ], nothing more.
TEST_CASE("is_origin accepts scheme://host[:port] with no path", "[core][text_rules]") {
    const auto row = GENERATE(values<Row>({
        {"https://velo.example", true},
        {"https://velo.example:8443", true},
        {"http://localhost:5173", true},
        {"http://velo.example", true},
        {"", false},
        {"velo.example", false},
        {"null", false},
        {"https://", false},
        {"https://velo.example/", false},
        {"https://velo.example/checkout", false},
        {"https://velo.example?x=1", false},
        {"https://velo.example#top", false},
        {"https://velo.example:", false},
        {"https://velo.example:8443x", false},
        {"https://velo.example:65535", true},
        {"https://velo.example:65536", false},
        {"https://velo.example:99999", false},
        {"https://velo.example:0", false},
        {"ftp://velo.example", false},
        {"https://velo example", false},
        {"https://user@velo.example", false},
        {"https://velo.example\0"s, false},
    }));
    CAPTURE(row.input);
    CHECK(consent::is_origin(row.input) == row.accepted);
}
