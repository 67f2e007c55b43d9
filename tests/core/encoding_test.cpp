#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "consent/crypto/encoding.hpp"

namespace {

consent::Bytes bytes_of(const std::string& text) { return consent::Bytes(text.begin(), text.end()); }

struct Encoded {
    std::string plain;
    std::string base16;
    std::string base64;
    std::string base64url;
};

// RFC 4648 §10 test vectors (base16 given there in upper case; we emit lower case).
const std::vector<Encoded> kRfc4648Vectors = {
    {"", "", "", ""},
    {"f", "66", "Zg==", "Zg"},
    {"fo", "666f", "Zm8=", "Zm8"},
    {"foo", "666f6f", "Zm9v", "Zm9v"},
    {"foob", "666f6f62", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "666f6f6261", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "666f6f626172", "Zm9vYmFy", "Zm9vYmFy"},
};

}  // namespace

TEST_CASE("encoders produce the RFC 4648 test vectors", "[core][encoding]") {
    const Encoded v = GENERATE(from_range(kRfc4648Vectors));
    CAPTURE(v.plain);
    const consent::Bytes plain = bytes_of(v.plain);
    CHECK(consent::hex_encode(plain) == v.base16);
    CHECK(consent::base64_encode(plain) == v.base64);
    CHECK(consent::base64url_encode(plain) == v.base64url);
}

TEST_CASE("decoders accept the RFC 4648 test vectors", "[core][encoding]") {
    const Encoded v = GENERATE(from_range(kRfc4648Vectors));
    CAPTURE(v.plain);
    const consent::Bytes plain = bytes_of(v.plain);

    const auto hex = consent::hex_decode(v.base16);
    REQUIRE(hex.ok());
    CHECK(hex.value() == plain);

    std::string upper = v.base16;
    for (char& c : upper) c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
    const auto hex_upper = consent::hex_decode(upper);
    REQUIRE(hex_upper.ok());
    CHECK(hex_upper.value() == plain);

    const auto b64 = consent::base64_decode(v.base64);
    REQUIRE(b64.ok());
    CHECK(b64.value() == plain);

    const auto b64url = consent::base64url_decode(v.base64url);
    REQUIRE(b64url.ok());
    CHECK(b64url.value() == plain);
}

TEST_CASE("the two base64 alphabets differ only in their last two symbols", "[core][encoding]") {
    const consent::Bytes bytes = {0xfb, 0xff, 0xbf};
    CHECK(consent::base64_encode(bytes) == "+/+/");
    CHECK(consent::base64url_encode(bytes) == "-_-_");
    CHECK(consent::base64_decode("+/+/").value() == bytes);
    CHECK(consent::base64url_decode("-_-_").value() == bytes);
}

TEST_CASE("every byte string up to 70 bytes survives a round trip", "[core][encoding]") {
    const std::size_t length = GENERATE(range<std::size_t>(0, 71));
    CAPTURE(length);
    consent::Bytes bytes(length);
    // Deterministic, covers high-bit bytes: no real randomness in unit tests.
    for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<std::uint8_t>(i * 151 + 77);

    CHECK(consent::hex_decode(consent::hex_encode(bytes)).value() == bytes);
    CHECK(consent::base64_decode(consent::base64_encode(bytes)).value() == bytes);
    CHECK(consent::base64url_decode(consent::base64url_encode(bytes)).value() == bytes);
}

TEST_CASE("hex decoding rejects odd lengths and non-hex characters", "[core][encoding]") {
    const std::string text = GENERATE(as<std::string>{}, "0", "abc", "0g", "g0", " 00", "00 ", "0x00", "+1", "\xff\xff",
                                      std::string("0\0", 2));
    CAPTURE(text);
    const auto decoded = consent::hex_decode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == "encoding.invalid_hex");
    CHECK_FALSE(decoded.error().message.empty());
    CHECK(decoded.error().path.empty());
}

TEST_CASE("base64 decoding rejects bad characters, bad padding and trailing bits", "[core][encoding]") {
    const std::string text = GENERATE(as<std::string>{},
                                      "Zg",        // padding missing
                                      "Zg=",       // padding short
                                      "Zg===",     // length not a multiple of 4
                                      "Z===",      // three pad characters
                                      "====",      // only padding
                                      "=Zg=",      // padding first
                                      "Zg==Zm9v",  // padding in the middle
                                      "Zm9v====",  // a whole group of padding
                                      "Zh==",      // non-zero trailing bits (one byte)
                                      "Zm9=",      // non-zero trailing bits (two bytes)
                                      "Zm 9v",     // whitespace
                                      "Zm9v\n",    // line break (RFC 4648 §3.3)
                                      "Zm-v",      // base64url symbol
                                      "Zm_v",      // base64url symbol
                                      "Zm9\xff",   // byte outside ASCII
                                      std::string("Zm9\0", 4));
    CAPTURE(text);
    const auto decoded = consent::base64_decode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == "encoding.invalid_base64");
    CHECK_FALSE(decoded.error().message.empty());
}

TEST_CASE("base64url decoding rejects padding, bad characters and trailing bits", "[core][encoding]") {
    const std::string text = GENERATE(as<std::string>{},
                                      "Zg==",   // padded (RFC 7515 §2 omits padding)
                                      "Zm8=",   // padded
                                      "Z",      // one symbol cannot make a byte
                                      "Zm9vY",  // same, after a whole group
                                      "Zh",     // non-zero trailing bits
                                      "Zm9",    // non-zero trailing bits
                                      "+/8",    // standard-alphabet symbols
                                      "Zm9v Zm9v", "Zm9v\n");
    CAPTURE(text);
    const auto decoded = consent::base64url_decode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == "encoding.invalid_base64");
}

TEST_CASE("empty text decodes to no bytes in every encoding", "[core][encoding]") {
    CHECK(consent::hex_decode("").value().empty());
    CHECK(consent::base64_decode("").value().empty());
    CHECK(consent::base64url_decode("").value().empty());
}
