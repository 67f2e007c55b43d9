#include "consent/crypto/sha512.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "consent/crypto/encoding.hpp"

namespace {

std::string hex_of(const consent::Sha512Digest& digest) { return consent::hex_encode(digest); }

consent::Sha512Digest hash_byte_by_byte(const std::string& message) {
    consent::Sha512 hasher;
    for (char c : message) hasher.update(std::string_view(&c, 1));
    return hasher.finish();
}

struct KnownAnswer {
    std::string name;
    std::string message;
    std::string digest_hex;
};

}  // namespace

// FIPS 180-4 examples (NIST CSRC "SHA512.pdf", "SHA2_Additional.pdf").
TEST_CASE("sha512 matches the NIST known answers", "[core][sha512]") {
    const auto answer = GENERATE(values<KnownAnswer>({
        {"empty", "",
         "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
         "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
        {"abc", "abc",
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
        {"448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
         "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
        {"896 bits",
         "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
         "mnopqrsmnopqrstnopqrstu",
         "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
         "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
    }));
    CAPTURE(answer.name);
    CHECK(hex_of(consent::sha512(answer.message)) == answer.digest_hex);
    CHECK(hex_of(hash_byte_by_byte(answer.message)) == answer.digest_hex);
}

TEST_CASE("sha512 of one million 'a' fed in pieces matches the NIST answer", "[core][sha512]") {
    // 1000 updates of 1000 bytes: not a multiple of the 128-byte block, so most
    // updates start with a partly filled buffer.
    const std::string thousand(1000, 'a');
    consent::Sha512 hasher;
    for (int i = 0; i < 1000; ++i) hasher.update(thousand);
    CHECK(hex_of(hasher.finish()) ==
          "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
          "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

// Lengths around the 111/112-byte padding boundary (the length field is 16
// bytes) and the 128-byte block boundary; the digests were computed with an
// independent implementation (Python's hashlib).
TEST_CASE("sha512 is the same one-shot and byte by byte at block boundaries", "[core][sha512]") {
    const auto answer = GENERATE(values<KnownAnswer>({
        {"111", std::string(111, 'a'),
         "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef8681819692176"
         "0b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2"},
        {"112", std::string(112, 'a'),
         "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32"
         "bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca"},
        {"127", std::string(127, 'a'),
         "828613968b501dc00a97e08c73b118aa8876c26b8aac93df128502ab360f91ba"
         "b50a51e088769a5c1eff4782ace147dce3642554199876374291f5d921629502"},
        {"128", std::string(128, 'a'),
         "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a24"
         "3667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321"},
        {"129", std::string(129, 'a'),
         "4f681e0bd53cda4b5a2041cc8a06f2eabde44fb16c951fbd5b87702f07aeab61"
         "1565b19c47fde30587177ebb852e3971bbd8d3fd30da18d71037dfbd98420429"},
        {"239", std::string(239, 'a'),
         "52c853cb8d907f3d4d6b889beb027985d7c273486d75f8baf26f80d24e90c74c"
         "6c3de3e22131582380a7d14d43f2941a31385439cd6ddc469f628015e50bf286"},
        {"240", std::string(240, 'a'),
         "4c296d90c61052a62ffb1dd196f1b7b09373b1f93e71836baebf89690546b759"
         "5684dbe9467a8e484fa0d1094272b4344a7c24f5fee8daedeb0bf549c985ab5f"},
    }));
    CAPTURE(answer.name);
    CHECK(hex_of(consent::sha512(answer.message)) == answer.digest_hex);
    CHECK(hex_of(hash_byte_by_byte(answer.message)) == answer.digest_hex);
}

TEST_CASE("sha512 handles bytes with the high bit set", "[core][sha512]") {
    // Catches sign-extension or shift-of-promoted-int mistakes in the word loading.
    std::vector<std::uint8_t> all_bytes(256);
    for (std::size_t i = 0; i < all_bytes.size(); ++i) all_bytes[i] = static_cast<std::uint8_t>(i);
    consent::Sha512 hasher;
    hasher.update(all_bytes.data(), all_bytes.size());
    CHECK(hex_of(hasher.finish()) ==
          "1e7b80bc8edc552c8feeb2780e111477e5bc70465fac1a77b29b35980c3f0ce4"
          "a036a6c9462036824bd56801e62af7e9feba5c22ed8a5af877bf7de117dcac6d");
}

TEST_CASE("sha512 gives the same digest whatever the update sizes", "[core][sha512]") {
    std::string message;
    for (int i = 0; i < 5; ++i) {
        for (int b = 0; b < 256; ++b) message.push_back(static_cast<char>(b));
    }
    message.push_back('x');
    const std::string expected =
        "8dd4845bfc13d6c307828cc01535d9de1e0d3023124eceac1ce6d463282a470e"
        "963d0f6980d8a9923e9ed04df2d21f1dd2e1cb1756373de06940f287dc7a1ff1";
    REQUIRE(hex_of(consent::sha512(message)) == expected);

    const std::size_t chunk = GENERATE(1u, 3u, 111u, 112u, 127u, 128u, 129u, 255u, 256u, 1000u);
    CAPTURE(chunk);
    consent::Sha512 hasher;
    for (std::size_t at = 0; at < message.size(); at += chunk) {
        hasher.update(std::string_view(message).substr(at, chunk));
    }
    CHECK(hex_of(hasher.finish()) == expected);
}

TEST_CASE("an empty sha512 update with a null pointer changes nothing", "[core][sha512]") {
    consent::Sha512 hasher;
    hasher.update(nullptr, 0);
    hasher.update("abc");
    hasher.update(nullptr, 0);
    CHECK(hex_of(hasher.finish()) ==
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
          "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}
