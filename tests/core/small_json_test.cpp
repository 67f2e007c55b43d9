// SmallJson, the JSON value of consent-banner.wasm's core (core/include/consent/json/small_json.hpp),
// held to nlohmann's answers on the same text: what parses, the error's code and path when not, the
// types of numbers, the compact text written back, and values built the way the core builds them.
#include "consent/json/small_json.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "consent/json/canonical_json.hpp"
#include "test_files.hpp"

namespace {

using consent::SmallJson;
using nlohmann::json;

constexpr auto kReplace = json::error_handler_t::replace;

// The same text through both strict parsers: the same verdict, code and path; the same value written back.
void check_same(const std::string& text) {
    CAPTURE(text);
    const auto expected = consent::parse_json_strict(text);
    const auto got = consent::parse_small_json_strict(text);
    REQUIRE(got.ok() == expected.ok());
    if (!expected.ok()) {
        CHECK(got.error().code == expected.error().code);
        CHECK(got.error().path == expected.error().path);
        return;
    }
    // Fractions never reach the core's answers, and SmallJson does not write their shortest digits.
    if (expected->is_number_float()) CHECK(*got->get_ptr<const double*>() == *expected->get_ptr<const double*>());
    else
        CHECK(got->dump(-1, ' ', false, SmallJson::error_handler_t::replace) ==
              expected->dump(-1, ' ', false, kReplace));
    CHECK(got->is_number_integer() == expected->is_number_integer());
    CHECK(got->is_number_unsigned() == expected->is_number_unsigned());
    CHECK(got->is_number_float() == expected->is_number_float());
    CHECK(got->size() == expected->size());
}

std::string nested(std::size_t depth, bool arrays) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += arrays ? "[" : "{\"k\":";
    text += "1";
    for (std::size_t i = 0; i < depth; ++i) text += arrays ? "]" : "}";
    return text;
}

// Built as notice_to_json, decision_to_json and the envelope build theirs.
template <class J>
J built() {
    J purposes = J::array();
    purposes.push_back({{"id", "analytics"}, {"consent_mode", std::vector<std::string>{"analytics_storage"}}});
    purposes.push_back({{"id", "ads"}, {"max_age_days", std::int64_t{180}}, {"third_party", true}});
    J out = {{"notice_id", "shop"},
             {"version", 3},
             {"purposes", purposes},
             {"labels", std::map<std::string, std::string>{{"accept_all", "OK"}}},
             {"choices", std::map<std::string, bool>{{"ads", false}}}};
    out["client_time"] = std::int64_t{-5};
    out["receipt_id"] = nullptr;
    J ctx = J::object();
    ctx["origin"] = std::string("https://shop.example");
    if (!ctx.empty()) out["context"] = ctx;
    J copy = out;
    copy.erase("purposes");
    copy["method"] = "custom";
    return J{{"ok", true}, {"value", out}, {"copy", copy}, {"list", {1, 2, "three"}}};
}

}  // namespace

TEST_CASE("SmallJson parses what nlohmann parses and writes it back alike", "[small_json]") {
    for (const char* text : {
             R"({"b":1,"a":[true,false,null],"c":{"d":"e"}})",
             R"([])",
             R"({})",
             R"("x")",
             "0",
             "-0",
             "12",
             "-12",
             "18446744073709551615",
             "18446744073709551616",
             "-9223372036854775808",
             "-9223372036854775809",
             "1.5",
             "-0.25",
             "3e2",
             "2E-3",
             "1e400",
             "-1e400",
             "1e-400",
             "  [ 1 , 2 ]  ",
             R"("\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r")",
             R"("\u0000\u001f")",
             "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"",
             R"({"a":{"b":[0,{"c":1e999}]}})",
             R"({"a":1,"a":2})",
             R"({"x":{"a~/b":1,"a~/b":2}})",
             R"([{"k":[{"k":1,"k":1}]}])",
         })
        check_same(text);
}

TEST_CASE("SmallJson refuses what nlohmann refuses, with the same code and path", "[small_json]") {
    for (const std::string text : {
             "",
             " ",
             "[",
             "]",
             "{",
             R"({"a")",
             R"({"a":})",
             R"({"a":1,})",
             "[1,]",
             "[1 2]",
             "01",
             "-",
             "1.",
             "1e",
             "+1",
             ".5",
             "tru",
             "nul",
             "falsey",
             "[1]x",
             R"("abc)",
             "\"a\nb\"",
             R"("\x")",
             R"("\u12")",
             R"("\ud800")",
             R"("\udc00")",
             R"("\ud800\u0041")",
             "\"\xC3\"",
             "\"\xC0\xAF\"",
             "\"\xED\xA0\x80\"",
             "\"\xF4\x90\x80\x80\"",
             "\"\xFF\"",
             "\xEF\xBB\xBF{}",
             "/* c */ 1",
             "NaN",
             "Infinity",
             "{'a':1}",
             R"({"a" 1})",
             "[1,,2]",
         })
        check_same(text);
}

TEST_CASE("SmallJson stops at the same nesting depth as the strict parser, at the same path", "[small_json]") {
    for (const std::size_t depth : {consent::kJsonMaxDepth - 1, consent::kJsonMaxDepth, consent::kJsonMaxDepth + 1}) {
        check_same(nested(depth, true));
        check_same(nested(depth, false));
    }
}

TEST_CASE("SmallJson replaces bytes that are not UTF-8 when writing, as nlohmann's replace does", "[small_json]") {
    CHECK(SmallJson(std::string("a\xFF"
                                "b"))
              .dump(-1, ' ', false, SmallJson::error_handler_t::replace) == json(std::string("a\xFF"
                                                                                             "b"))
                                                                                .dump(-1, ' ', false, kReplace));
}

TEST_CASE("SmallJson builds values from the core's initializer lists as nlohmann does", "[small_json]") {
    CHECK(built<SmallJson>().dump() == built<json>().dump());
    CHECK(built<SmallJson>() == built<SmallJson>());
    SmallJson a = built<SmallJson>();
    a["value"]["version"] = 4;
    CHECK(a != built<SmallJson>());
}

TEST_CASE("SmallJson reads members, elements and numbers as the core reads them", "[small_json]") {
    const auto parsed = consent::parse_small_json_strict(R"({"n":7,"m":-7,"s":"t","l":["x","y"],"o":{"b":1,"a":2}})");
    REQUIRE(parsed.ok());
    const SmallJson& v = *parsed;
    CHECK(v["n"].is_number_unsigned());
    CHECK(v["n"].get<std::int64_t>() == 7);
    CHECK(v["m"].get<std::int64_t>() == -7);
    CHECK(v["s"].get<std::string>() == "t");
    CHECK(v["s"] == "t");
    CHECK(v["s"] != "u");
    CHECK(v["l"].size() == 2);
    CHECK(v["l"][1].get<std::string>() == "y");
    CHECK(v["l"][5].is_null());
    CHECK(v.at("missing").is_null());
    CHECK(v.contains("o"));
    CHECK(!v["n"].contains("o"));
    std::vector<std::string> keys;
    for (auto it = v["o"].begin(); it != v["o"].end(); ++it) keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{"a", "b"});
    std::vector<std::string> elements;
    for (const auto& e : v["l"]) elements.push_back(e.get<std::string>());
    CHECK(elements == std::vector<std::string>{"x", "y"});
    CHECK(SmallJson(std::uint64_t{7}) == SmallJson(std::int64_t{7}));
    CHECK(SmallJson(std::int64_t{-1}) != SmallJson(std::uint64_t{18446744073709551615ULL}));
}
