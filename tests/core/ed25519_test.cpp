// Ed25519 verification against RFC 8032's test vectors, Wycheproof's
// adversarial vectors (which libsodium 1.0.18, the server's signer, agrees
// with), and hand-made malformed signatures and keys.
#include "consent/crypto/ed25519.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "consent/crypto/encoding.hpp"
#include "test_files.hpp"

namespace {

using consent::Bytes;
using nlohmann::json;

Bytes from_hex(const std::string& hex) {
    auto bytes = consent::hex_decode(hex);
    REQUIRE(bytes.ok());
    return std::move(bytes).value();
}

std::string as_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

struct Vector {
    std::string name;
    std::string public_key;
    std::string message;
    std::string signature;
};

bool verify(const Vector& v) {
    return consent::ed25519_verify(from_hex(v.public_key), as_text(from_hex(v.message)), from_hex(v.signature));
}

// RFC 8032 §7.1, TEST 1, 2, 3 and 1024 (a 1023-byte message).
std::vector<Vector> rfc8032_vectors() {
    return {
        {"TEST 1", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"TEST 2", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
         "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"TEST 3", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
         "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
        {"TEST 1024", "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
         "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
         "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
         "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
         "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
         "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
         "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
         "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
         "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
         "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
         "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
         "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
         "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
         "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
         "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
         "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
         "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
         "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
         "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
         "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
         "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
         "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
         "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
         "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
         "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
         "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
         "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
         "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
         "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
         "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
         "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
         "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
         "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
         "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
         "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    };
}

Vector rfc8032_test3() { return rfc8032_vectors()[2]; }

// L, the order of the base point (RFC 8032 §5.1), little-endian.
const char* const kOrderHex = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

// The encodings whose y is that of one of the eight points of order 1, 2, 4
// or 8, or that only alias one (y = p, p + 1): libsodium refuses all of them
// as a key. y = 0 is the all-zero key; y = 1 is the identity; the two order-8
// y values solve d y^4 + 2 y^2 - 1 = 0.
std::vector<std::string> small_order_encodings() {
    const std::vector<std::string> ys = {
        "0000000000000000000000000000000000000000000000000000000000000000",  // 0, order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  // 1, the identity
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p - 1, order 2
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p, aliases 0
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p + 1, aliases 1
    };
    std::vector<std::string> all;
    for (const std::string& y : ys) {
        all.push_back(y);
        Bytes with_sign = from_hex(y);
        with_sign[31] ^= 0x80;  // the other sign of x (invalid when x = 0)
        all.push_back(consent::hex_encode(with_sign));
    }
    return all;
}

}  // namespace

TEST_CASE("ed25519 accepts the RFC 8032 test vectors", "[core][ed25519]") {
    const Vector v = GENERATE(from_range(rfc8032_vectors()));
    CAPTURE(v.name);
    CHECK(verify(v));
}

TEST_CASE("changing any bit of the message, signature or public key fails ed25519 verification", "[core][ed25519]") {
    const Vector v = rfc8032_test3();
    const Bytes public_key = from_hex(v.public_key);
    const Bytes message = from_hex(v.message);
    const Bytes signature = from_hex(v.signature);
    REQUIRE(consent::ed25519_verify(public_key, as_text(message), signature));

    const std::string part = GENERATE("message", "signature", "public key");
    CAPTURE(part);
    const Bytes& original = part == "message" ? message : part == "signature" ? signature : public_key;
    for (std::size_t bit = 0; bit < 8 * original.size(); ++bit) {
        Bytes changed = original;
        changed[bit / 8] = static_cast<std::uint8_t>(changed[bit / 8] ^ (1u << (bit % 8)));
        const bool verified = part == "message"     ? consent::ed25519_verify(public_key, as_text(changed), signature)
                              : part == "signature" ? consent::ed25519_verify(public_key, as_text(message), changed)
                                                    : consent::ed25519_verify(changed, as_text(message), signature);
        CAPTURE(bit);
        CHECK_FALSE(verified);
    }
}

TEST_CASE("ed25519 agrees with every Wycheproof Ed25519 vector", "[core][ed25519][wycheproof]") {
    // Vectors whose expected result this verifier does not give, with the
    // reason. Empty: it agrees with all of them, as libsodium does.
    const std::map<int, std::string> known_differences = {};
    const json file =
        json::parse(consent::test::read_file(consent::test::vectors_dir() + "/wycheproof/ed25519_test.json"));
    int count = 0;
    int acceptable = 0;
    for (const json& group : file["testGroups"]) {
        const Bytes public_key = from_hex(group["publicKey"]["pk"].get<std::string>());
        REQUIRE(public_key.size() == 32);
        for (const json& test : group["tests"]) {
            const int id = test["tcId"];
            const std::string result = test["result"];
            const bool verified = consent::ed25519_verify(public_key, as_text(from_hex(test["msg"].get<std::string>())),
                                                          from_hex(test["sig"].get<std::string>()));
            CAPTURE(id, test["comment"].get<std::string>(), result, verified);
            ++count;
            if (result == "acceptable") {
                ++acceptable;
            } else if (known_differences.count(id) != 0) {
                CHECK(verified != (result == "valid"));
            } else {
                CHECK(verified == (result == "valid"));
            }
        }
    }
    CHECK(count == file["numberOfTests"].get<int>());
    CHECK(count == 151);
    CHECK(count > 100);
    CHECK(acceptable == 0);
}

// RFC 8032 §5.1.7 step 1: S + L is the same scalar mod L, so only the range
// check tells the two signatures apart (signature malleability).
TEST_CASE("ed25519 rejects a signature whose S has L added", "[core][ed25519]") {
    const Vector v = GENERATE(from_range(rfc8032_vectors()));
    CAPTURE(v.name);
    Bytes signature = from_hex(v.signature);
    const Bytes order = from_hex(kOrderHex);
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        carry += unsigned{signature[32 + i]} + order[i];
        signature[32 + i] = static_cast<std::uint8_t>(carry);
        carry >>= 8;
    }
    REQUIRE(carry == 0);  // S + L < 2^256 still fits the 32 bytes
    CHECK(verify(v));
    CHECK_FALSE(consent::ed25519_verify(from_hex(v.public_key), as_text(from_hex(v.message)), signature));
}

// With A the identity, [S]B == R + [k]A holds for R = B, S = 1 and every
// message: the cofactorless equation alone would accept this "signature". The
// other small-order keys satisfy it whenever k is a multiple of their order.
TEST_CASE("ed25519 rejects the all-zero and every small-order public key", "[core][ed25519]") {
    const std::string key = GENERATE(from_range(small_order_encodings()));
    const std::string message = GENERATE("", "receipt", "checkpoint 42");
    CAPTURE(key, message);
    const Bytes base_point_then_one = from_hex(
        "5866666666666666666666666666666666666666666666666666666666666666"
        "0100000000000000000000000000000000000000000000000000000000000000");
    CHECK_FALSE(consent::ed25519_verify(from_hex(key), message, base_point_then_one));
}

TEST_CASE("ed25519 refuses keys and signatures of the wrong size", "[core][ed25519]") {
    const Vector v = rfc8032_test3();
    const Bytes public_key = from_hex(v.public_key);
    const std::string message = as_text(from_hex(v.message));
    const Bytes signature = from_hex(v.signature);
    REQUIRE(consent::ed25519_verify(public_key, message, signature));

    Bytes long_key = public_key;
    long_key.push_back(0);
    Bytes long_signature = signature;
    long_signature.push_back(0);
    CHECK_FALSE(consent::ed25519_verify(Bytes(public_key.begin(), public_key.end() - 1), message, signature));
    CHECK_FALSE(consent::ed25519_verify(long_key, message, signature));
    CHECK_FALSE(consent::ed25519_verify(public_key, message, Bytes(signature.begin(), signature.end() - 1)));
    CHECK_FALSE(consent::ed25519_verify(public_key, message, long_signature));
    CHECK_FALSE(consent::ed25519_verify(Bytes{}, message, Bytes{}));
}

TEST_CASE("ed25519 verifies through the pointer overload, also with no message bytes", "[core][ed25519]") {
    const Vector v = rfc8032_vectors()[0];  // TEST 1 signs the empty message
    const Bytes public_key = from_hex(v.public_key);
    const Bytes signature = from_hex(v.signature);
    CHECK(consent::ed25519_verify(public_key.data(), nullptr, 0, signature.data()));
    const std::uint8_t one_byte = 0;
    CHECK_FALSE(consent::ed25519_verify(public_key.data(), &one_byte, 1, signature.data()));
}
