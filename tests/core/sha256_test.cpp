#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"

namespace {

std::string hex_of(const consent::Sha256Digest& digest) { return consent::hex_encode(digest); }

consent::Sha256Digest hash_byte_by_byte(const std::string& message) {
    consent::Sha256 hasher;
    for (char c : message) hasher.update(std::string_view(&c, 1));
    return hasher.finish();
}

struct KnownAnswer {
    std::string name;
    std::string message;
    std::string digest_hex;
};

}  // namespace

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
TEST_CASE("sha256 matches the NIST known answers", "[core][sha256]") {
    const auto answer = GENERATE(values<KnownAnswer>({
        {"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"896 bits",
         "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
         "mnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    }));
    CAPTURE(answer.name);
    CHECK(hex_of(consent::sha256(answer.message)) == answer.digest_hex);
    CHECK(hex_of(hash_byte_by_byte(answer.message)) == answer.digest_hex);
}

TEST_CASE("sha256 of one million 'a' fed in pieces matches the NIST answer", "[core][sha256]") {
    // 1000 updates of 1000 bytes: a length that is not a multiple of the block size,
    // so most updates start with a partly filled buffer.
    const std::string thousand(1000, 'a');
    consent::Sha256 hasher;
    for (int i = 0; i < 1000; ++i) hasher.update(thousand);
    CHECK(hex_of(hasher.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the 55/56-byte padding boundary and the 64-byte block boundary;
// the digests were computed with an independent implementation (coreutils sha256sum).
TEST_CASE("sha256 is the same one-shot and byte by byte at block boundaries", "[core][sha256]") {
    const auto answer = GENERATE(values<KnownAnswer>({
        {"55", std::string(55, 'a'), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {"56", std::string(56, 'a'), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {"63", std::string(63, 'a'), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {"64", std::string(64, 'a'), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {"65", std::string(65, 'a'), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    }));
    CAPTURE(answer.name);
    CHECK(hex_of(consent::sha256(answer.message)) == answer.digest_hex);
    CHECK(hex_of(hash_byte_by_byte(answer.message)) == answer.digest_hex);
}

TEST_CASE("sha256 handles bytes with the high bit set", "[core][sha256]") {
    // Catches sign-extension or shift-of-promoted-int mistakes in the word loading.
    std::vector<std::uint8_t> all_bytes(256);
    for (std::size_t i = 0; i < all_bytes.size(); ++i) all_bytes[i] = static_cast<std::uint8_t>(i);
    consent::Sha256 hasher;
    hasher.update(all_bytes.data(), all_bytes.size());
    CHECK(hex_of(hasher.finish()) == "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
}

TEST_CASE("sha256 gives the same digest whatever the update sizes", "[core][sha256]") {
    std::string message;
    for (int i = 0; i < 5; ++i) {
        for (int b = 0; b < 256; ++b) message.push_back(static_cast<char>(b));
    }
    message.push_back('x');
    const std::string expected = "fc6996b88d6e031403efcd3e0fd29d1bb70eae79ee580b18650a774a3ca463d8";
    REQUIRE(hex_of(consent::sha256(message)) == expected);

    const std::size_t chunk = GENERATE(1u, 3u, 55u, 63u, 64u, 65u, 127u, 128u, 1000u);
    CAPTURE(chunk);
    consent::Sha256 hasher;
    for (std::size_t at = 0; at < message.size(); at += chunk) {
        hasher.update(std::string_view(message).substr(at, chunk));
    }
    CHECK(hex_of(hasher.finish()) == expected);
}

TEST_CASE("an empty update with a null pointer changes nothing", "[core][sha256]") {
    consent::Sha256 hasher;
    hasher.update(nullptr, 0);
    hasher.update("abc");
    hasher.update(nullptr, 0);
    CHECK(hex_of(hasher.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
