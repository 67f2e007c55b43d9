// RFC 8785 JCS: the shared vectors of cyberphone/json-canonicalization, the
// ECMAScript number format, UTF-16 member order, and the strict parser.
#include "consent/json/canonical_json.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "test_files.hpp"

namespace {

using nlohmann::json;

std::string jcs_dir() { return consent::test::vectors_dir() + "/jcs"; }

std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

std::string stem(const std::string& path) {
    const std::string name = base_name(path);
    return name.substr(0, name.find_last_of('.'));
}

// outhex files hold the expected bytes as whitespace-separated hex pairs.
std::string bytes_from_hex(const std::string& text) {
    std::string bytes;
    std::string pair;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        pair.push_back(c);
        if (pair.size() == 2) {
            bytes.push_back(static_cast<char>(std::stoi(pair, nullptr, 16)));
            pair.clear();
        }
    }
    REQUIRE(pair.empty());
    return bytes;
}

std::vector<std::string> vector_inputs() {
    std::vector<std::string> inputs = consent::test::list_files(jcs_dir() + "/input", ".json");
    REQUIRE_FALSE(inputs.empty());
    return inputs;
}

// True when canonicalize accepts the text as a JSON string, i.e. it is valid UTF-8.
bool is_valid_utf8(const std::string& text) { return consent::canonicalize(json(text)).ok(); }

std::string canonical_or_error_code(const json& value) {
    const consent::Result<std::string> result = consent::canonicalize(value);
    return result ? *result : result.error().code;
}

}  // namespace

TEST_CASE("every RFC 8785 vector canonicalizes to exactly its expected bytes", "[core][jcs][vectors]") {
    const std::string input_path = GENERATE(from_range(vector_inputs()));
    CAPTURE(input_path);
    const std::string expected = consent::test::read_file(jcs_dir() + "/output/" + base_name(input_path));
    const std::string expected_hex = consent::test::read_file(jcs_dir() + "/outhex/" + stem(input_path) + ".txt");
    REQUIRE(bytes_from_hex(expected_hex) == expected);

    const consent::Result<std::string> canonical = consent::canonicalize_text(consent::test::read_file(input_path));
    REQUIRE(canonical.ok());
    CHECK(*canonical == expected);
}

TEST_CASE("canonicalizing canonical output again changes nothing", "[core][jcs][vectors]") {
    const std::string input_path = GENERATE(from_range(vector_inputs()));
    CAPTURE(input_path);
    const consent::Result<std::string> once = consent::canonicalize_text(consent::test::read_file(input_path));
    REQUIRE(once.ok());
    const consent::Result<json> reparsed = consent::parse_json_strict(*once);
    REQUIRE(reparsed.ok());
    const consent::Result<std::string> twice = consent::canonicalize(*reparsed);
    REQUIRE(twice.ok());
    CHECK(*twice == *once);
}

struct NumberCase {
    double value;
    const char* javascript;  // what String(value) prints in a JavaScript engine
};

TEST_CASE("numbers are written as ECMAScript Number.prototype.toString writes them", "[core][jcs][numbers]") {
    const NumberCase c = GENERATE(values<NumberCase>({
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {-1.0, "-1"},
        {1000.0, "1000"},
        {-1234567.0, "-1234567"},
        {1e15, "1000000000000000"},
        {1700000000000.0, "1700000000000"},        // a millisecond timestamp
        {4503599627370497.0, "4503599627370497"},  // 2^52 + 1
        {0.1, "0.1"},
        {-0.1, "-0.1"},
        {0.5, "0.5"},
        {4.5, "4.5"},
        {2e-3, "0.002"},
        {56.0, "56"},
        {0.01, "0.01"},
        {12.5, "12.5"},
        {100.0, "100"},
        {1e20, "100000000000000000000"},
        {123456789012345680000.0, "123456789012345680000"},
        {1e21, "1e+21"},
        {1.5e21, "1.5e+21"},
        {1e30, "1e+30"},
        {1e-6, "0.000001"},
        {1.5e-6, "0.0000015"},
        {1e-7, "1e-7"},
        {1.25e-7, "1.25e-7"},
        {123e-20, "1.23e-18"},
        {1e-27, "1e-27"},
        {5e-324, "5e-324"},
        {-5e-324, "-5e-324"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-1.7976931348623157e308, "-1.7976931348623157e+308"},
        {9007199254740991.0, "9007199254740991"},
        {9007199254740992.0, "9007199254740992"},
        {9007199254740993.0, "9007199254740992"},  // the literal itself rounds to 2^53
        {18446744073709551616.0, "18446744073709552000"},
        {333333333.3333332, "333333333.3333332"},
        {333333333.33333329, "333333333.3333333"},
        {1.0 / 3.0, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"},
        {0.1 + 0.2, "0.30000000000000004"},
        {123.456, "123.456"},
        {1e23, "1e+23"},
        {5e-7, "5e-7"},
        {0.000001234, "0.000001234"},
        {295147905179352830000.0, "295147905179352830000"},  // 2^68
        {4.35, "4.35"},
        {0.000035, "0.000035"},
        {1.2345678901234567e-7, "1.2345678901234566e-7"},
        {8.41e21, "8.41e+21"},
        {9.5367431640625e-7, "9.5367431640625e-7"},  // 2^-20, exact in 14 digits
        // Powers of two whose nearest 16-digit decimal does not round-trip but
        // the one on the other side (inside the wider upper half-interval) does.
        {5.684341886080802e-14, "5.684341886080802e-14"},    // 2^-44
        {5.960464477539063e-8, "5.960464477539063e-8"},      // 2^-24
        {5.316911983139664e+36, "5.316911983139664e+36"},    // 2^122
        {4.887898181599368e-150, "4.887898181599368e-150"},  // 2^-496
    }));
    CAPTURE(c.javascript);
    const consent::Result<std::string> canonical = consent::canonicalize(json(c.value));
    REQUIRE(canonical.ok());
    CHECK(*canonical == c.javascript);
}

TEST_CASE("number literals are read as IEEE-754 doubles before they are written", "[core][jcs][numbers]") {
    struct LiteralCase {
        const char* text;
        const char* canonical;
    };
    const LiteralCase c = GENERATE(values<LiteralCase>({
        {"9007199254740993", "9007199254740992"},
        {"-9007199254740993", "-9007199254740992"},
        {"18446744073709551615", "18446744073709552000"},
        {"-9223372036854775808", "-9223372036854776000"},
        {"123456789012345678901234567890", "1.2345678901234568e+29"},
        {"-0", "0"},
        {"-0.0", "0"},
        {"0E0", "0"},
        {"1E30", "1e+30"},
        {"4.50", "4.5"},
        {"0.000000000000000000000000001", "1e-27"},
        {"1e-400", "0"},
        {"[1.0, 10, 1e1, 100e-1]", "[1,10,10,10]"},
    }));
    CAPTURE(c.text);
    const consent::Result<std::string> canonical = consent::canonicalize_text(c.text);
    REQUIRE(canonical.ok());
    CHECK(*canonical == c.canonical);
}

TEST_CASE("NaN and infinities are refused with the path of the number", "[core][jcs][numbers]") {
    const double not_finite =
        GENERATE(std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity());
    CAPTURE(not_finite);
    const json value = {{"a", json::array({1, not_finite})}};
    const consent::Result<std::string> canonical = consent::canonicalize(value);
    REQUIRE_FALSE(canonical.ok());
    CHECK(canonical.error().code == "jcs.number_not_finite");
    CHECK(canonical.error().path == "/a/1");
}

TEST_CASE("number literals beyond the double range are refused when parsed", "[core][jcs][numbers]") {
    const std::string text = GENERATE(as<std::string>{}, "1e400", "-1e400", "{\"x\":[0,1e999]}");
    CAPTURE(text);
    const consent::Result<json> parsed = consent::parse_json_strict(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "jcs.number_not_finite");
    CHECK(parsed.error().path == (text[0] == '{' ? "/x/1" : ""));
}

TEST_CASE("member names are ordered by UTF-16 code units, not by UTF-8 bytes", "[core][jcs][strings]") {
    // UTF-8 bytes would order U+E000 (ee 80 80) before U+1F600 (f0 9f 98 80);
    // in UTF-16 the surrogate pair d83d de00 comes before e000.
    const consent::Result<std::string> canonical =
        consent::canonicalize_text(R"({"\ue000":4,"\ud83d\ude00":3,"\u20ac":2,"a":1,"\u00e9":5,"":0,"aa":6,"B":7})");
    REQUIRE(canonical.ok());
    CHECK(*canonical ==
          "{\"\":0,\"B\":7,\"a\":1,\"aa\":6,\"\xC3\xA9\":5,\"\xE2\x82\xAC\":2,"
          "\"\xF0\x9F\x98\x80\":3,\"\xEE\x80\x80\":4}");
}

TEST_CASE("nested objects are sorted too and arrays keep their order", "[core][jcs]") {
    const consent::Result<std::string> canonical =
        consent::canonicalize_text(R"( { "b" : [ 3 , {"z":1,"y":2} , 1 ] , "a" : { "d" : {}, "c" : [] } } )");
    REQUIRE(canonical.ok());
    CHECK(*canonical == R"({"a":{"c":[],"d":{}},"b":[3,{"y":2,"z":1},1]})");
}

TEST_CASE("strings escape only quote, backslash and control characters", "[core][jcs][strings]") {
    struct StringCase {
        std::string value;
        std::string canonical;
    };
    const StringCase c = GENERATE(values<StringCase>({
        {"plain", "\"plain\""},
        {"\"", "\"\\\"\""},
        {"\\", "\"\\\\\""},
        {"/", "\"/\""},
        {"\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\""},
        {std::string("\0", 1), "\"\\u0000\""},
        {"\x01\x0b\x0e\x1f", "\"\\u0001\\u000b\\u000e\\u001f\""},
        {"\x7f", "\"\x7f\""},
        {"</script>", "\"</script>\""},
        {"\xC2\x80\xE2\x82\xAC\xF0\x9F\x98\x82", "\"\xC2\x80\xE2\x82\xAC\xF0\x9F\x98\x82\""},
        {"\xEF\xBF\xBF", "\"\xEF\xBF\xBF\""},  // U+FFFF is a valid scalar value
    }));
    CAPTURE(c.value);
    const consent::Result<std::string> canonical = consent::canonicalize(json(c.value));
    REQUIRE(canonical.ok());
    CHECK(*canonical == c.canonical);
}

TEST_CASE("escaped and raw spellings of a string canonicalize to the same bytes", "[core][jcs][strings]") {
    const consent::Result<std::string> escaped = consent::canonicalize_text(R"(["\u0041\u00e9\ud83d\ude02\/\u001F"])");
    const consent::Result<std::string> raw = consent::canonicalize_text("[\"A\xC3\xA9\xF0\x9F\x98\x82/\\u001f\"]");
    REQUIRE(escaped.ok());
    REQUIRE(raw.ok());
    CHECK(*escaped == *raw);
    CHECK(*escaped == "[\"A\xC3\xA9\xF0\x9F\x98\x82/\\u001f\"]");
}

TEST_CASE("strings that are not valid UTF-8 have no canonical form", "[core][jcs][strings]") {
    const std::string bad = GENERATE(as<std::string>{},
                                     "\xFF",                   // never valid
                                     "\x80",                   // stray continuation byte
                                     "\xC3",                   // truncated
                                     "\xC0\xAF",               // overlong '/'
                                     "\xE0\x80\xAF",           // overlong '/'
                                     "\xED\xA0\x80",           // encoded surrogate U+D800
                                     "\xF4\x90\x80\x80",       // U+110000
                                     "\xF8\x88\x80\x80\x80");  // 5-byte form
    CAPTURE(bad);
    const json value = {{"list", json::array({"ok", bad})}};
    const consent::Result<std::string> canonical = consent::canonicalize(value);
    REQUIRE_FALSE(canonical.ok());
    CHECK(canonical.error().code == "jcs.invalid_utf8");
    CHECK(canonical.error().path == "/list/1");

    json named = json::object();
    named["outer"][bad] = 1;
    const consent::Result<std::string> bad_name = consent::canonicalize(named);
    REQUIRE_FALSE(bad_name.ok());
    CHECK(bad_name.error().code == "jcs.invalid_utf8");
    CHECK(bad_name.error().path == "/outer");  // the name itself cannot go in a valid pointer
}

TEST_CASE("duplicate member names are rejected with the JSON pointer of the duplicate", "[core][jcs][parse]") {
    struct DuplicateCase {
        const char* text;
        const char* path;
    };
    const DuplicateCase c = GENERATE(values<DuplicateCase>({
        {R"({"a":1,"a":2})", "/a"},
        {R"({"a":1,"b":2,"a":1})", "/a"},
        {R"({"a":1,"\u0061":2})", "/a"},
        {R"({"":1,"":2})", "/"},
        {R"({"x":[0,{"b":1,"b":2}]})", "/x/1/b"},
        {R"([[],[{}],[{"k":{"k":1,"k":2}}]])", "/2/0/k/k"},
        {R"({"a/b~c":{"m":1,"m":2}})", "/a~1b~0c/m"},
        {R"({"p":{"q":1},"r":{"~/":1,"~/":2}})", "/r/~0~1"},
        {R"({"a":{"a":{}},"b":{"a":{},"a":{}}})", "/b/a"},
    }));
    CAPTURE(c.text);
    const consent::Result<json> parsed = consent::parse_json_strict(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "jcs.duplicate_key");
    CHECK(parsed.error().path == c.path);
    const consent::Result<std::string> canonical = consent::canonicalize_text(c.text);
    REQUIRE_FALSE(canonical.ok());
    CHECK(canonical.error() == parsed.error());
}

TEST_CASE("equal names in different objects are not duplicates", "[core][jcs][parse]") {
    const consent::Result<std::string> canonical = consent::canonicalize_text(R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
    REQUIRE(canonical.ok());
    CHECK(*canonical == R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
}

TEST_CASE("malformed JSON text is json.parse_error with the byte where it failed", "[core][jcs][parse]") {
    const std::string text = GENERATE(as<std::string>{}, "", "   ", "{", "[1,2", "[1,]", "{\"a\":1,}", "{\"a\" 1}",
                                      "{a:1}", "['a']", "tru", "nul", "01", "1.", ".5", "+1", "0x10", "NaN", "Infinity",
                                      "1 2", "{} x", "/* comment */ 1", "\"tab\there\"", "\"\\x41\"",
                                      "\"\\ud800\"",           // lone high surrogate escape
                                      "\"\\udc00\"",           // lone low surrogate escape
                                      "\"\\ud800\\u0041\"",    // high surrogate then not a low one
                                      "\"\xFF\"",              // invalid UTF-8 byte
                                      "\"\xC0\xAF\"",          // overlong UTF-8
                                      "\"\xED\xA0\x80\"",      // UTF-8 encoded surrogate
                                      "\"\xF4\x90\x80\x80\"",  // beyond U+10FFFF
                                      "\xEF\xBB\xBF{}",        // byte order mark
                                      std::string("[1,\0]", 5), std::string("1\0junk", 6),  // a NUL after a whole value
                                      std::string("{}\0", 3));
    CAPTURE(text);
    const consent::Result<json> parsed = consent::parse_json_strict(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "json.parse_error");
    CHECK_THAT(parsed.error().message, Catch::Contains("at byte"));
    CHECK(is_valid_utf8(parsed.error().message));  // safe to put into a JSON error response
    const consent::Result<std::string> canonical = consent::canonicalize_text(text);
    REQUIRE_FALSE(canonical.ok());
    CHECK(canonical.error().code == "json.parse_error");
}

TEST_CASE("the parse error message says where the text went wrong", "[core][jcs][parse]") {
    const consent::Result<json> parsed = consent::parse_json_strict("{\"a\":[1,2,]}");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::StartsWith("malformed JSON at byte 11:"));
    CHECK_THAT(parsed.error().message, Catch::Contains("line 1, column 11"));
}

TEST_CASE("the strict parser keeps every value as written", "[core][jcs][parse]") {
    const consent::Result<json> parsed = consent::parse_json_strict(
        R"( {"s":"x\n","i":-7,"u":18446744073709551615,"f":2.5,"b":[true,false,null],"o":{}} )");
    REQUIRE(parsed.ok());
    json expected = json::object();
    expected["s"] = "x\n";
    expected["i"] = -7;
    expected["u"] = std::uint64_t{18446744073709551615u};
    expected["f"] = 2.5;
    expected["b"] = json::array({true, false, nullptr});
    expected["o"] = json::object();
    CHECK(*parsed == expected);
    CHECK(parsed->at("u").is_number_unsigned());
    CHECK(parsed->at("i").is_number_integer());
    CHECK(parsed->at("f").is_number_float());
}

TEST_CASE("scalars are valid top-level texts", "[core][jcs][parse]") {
    struct ScalarCase {
        const char* text;
        const char* canonical;
    };
    const ScalarCase c = GENERATE(values<ScalarCase>({
        {"null", "null"},
        {" true ", "true"},
        {"false", "false"},
        {"\"\"", "\"\""},
        {"\r\n\t 42 \r\n\t", "42"},
        {"[]", "[]"},
        {"{}", "{}"},
    }));
    CAPTURE(c.text);
    const consent::Result<std::string> canonical = consent::canonicalize_text(c.text);
    REQUIRE(canonical.ok());
    CHECK(*canonical == c.canonical);
}

TEST_CASE("nesting deeper than kJsonMaxDepth is refused instead of exhausting the stack", "[core][jcs][limits]") {
    const std::size_t limit = consent::kJsonMaxDepth;
    const std::string at_limit = std::string(limit, '[') + std::string(limit, ']');
    const consent::Result<std::string> accepted = consent::canonicalize_text(at_limit);
    REQUIRE(accepted.ok());
    CHECK(*accepted == at_limit);

    const std::string too_deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
    const consent::Result<json> refused = consent::parse_json_strict(too_deep);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "json.too_deep");

    const consent::Result<json> hostile = consent::parse_json_strict(std::string(1000000, '['));
    REQUIRE_FALSE(hostile.ok());
    CHECK(hostile.error().code == "json.too_deep");

    const consent::Result<json> objects = consent::parse_json_strict("{\"a\":[{\"b\":" + std::string(limit, '['));
    REQUIRE_FALSE(objects.ok());
    CHECK(objects.error().code == "json.too_deep");
    CHECK_THAT(objects.error().path, Catch::StartsWith("/a/0/b/0/0/0/"));
}

TEST_CASE("canonicalize refuses a built value nested deeper than kJsonMaxDepth", "[core][jcs][limits]") {
    json value = json::array();
    for (std::size_t i = 0; i < consent::kJsonMaxDepth; ++i) {
        json wrapper = json::array();
        wrapper.push_back(std::move(value));
        value = std::move(wrapper);
    }
    const consent::Result<std::string> canonical = consent::canonicalize(value);
    REQUIRE_FALSE(canonical.ok());
    CHECK(canonical.error().code == "json.too_deep");
}

TEST_CASE("values with no JSON form are refused", "[core][jcs]") {
    CHECK(canonical_or_error_code(json::binary({1, 2, 3})) == "jcs.unsupported_value");
    CHECK(canonical_or_error_code(json(json::value_t::discarded)) == "jcs.unsupported_value");
    CHECK(canonical_or_error_code(json::array({json::binary({1})})) == "jcs.unsupported_value");
}
