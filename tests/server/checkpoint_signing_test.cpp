// A checkpoint signed by the server's key ring (libsodium) verifies with the
// core's own Ed25519 (the code the browser and consentctl verify run).
#include <catch2/catch.hpp>

#include <ctime>

#include "consent/log/checkpoint.hpp"
#include "crypto/key_ring.hpp"
#include "server_fixture.hpp"

namespace {

namespace cp = consent::checkpoint;
constexpr const char* kOrigin = "consentd.test/receipts";

struct SignedNote {
    std::string note;
    consent::server::PublicKey key;
};

SignedNote sign(const consent::server::KeyRing& ring, std::int64_t size) {
    cp::Body body{kOrigin, size, consent::merkle::leaf_hash("r"), 1767225600};
    const std::string text = cp::body_text(body);
    const auto* key = ring.find(ring.active_kid());
    REQUIRE(key != nullptr);
    return {cp::assemble(text, kOrigin, cp::ed25519_key_hash(kOrigin, key->bytes.data()), ring.sign(text)), *key};
}

}  // namespace

TEST_CASE("a checkpoint signed with the key ring verifies with the core and a tampered one does not",
          "[server][checkpoint]") {
    consent::test::TempDir dir;
    const std::string keys = (dir.path() / "keys").string();
    REQUIRE(consent::server::KeyRing::create_key(keys, 1767225600).ok());
    auto ring = consent::server::KeyRing::load(keys);
    REQUIRE(ring.ok());
    const SignedNote s = sign(*ring, 7);
    auto parsed = cp::parse(s.note);
    REQUIRE(parsed.ok());
    CHECK(cp::verify(*parsed, kOrigin, kOrigin, s.key.bytes.data()).ok());
    CHECK(cp::verify(*parsed, "another/log", kOrigin, s.key.bytes.data()).error().code == "checkpoint.wrong_origin");
    CHECK(cp::verify(*parsed, kOrigin, "other-name", s.key.bytes.data()).error().code ==
          "checkpoint.no_signature_for_key");

    std::string forged = s.note;
    forged.replace(forged.find("\n7\n"), 3, "\n8\n");  // claim a bigger tree
    auto parsed_forged = cp::parse(forged);
    REQUIRE(parsed_forged.ok());
    CHECK(cp::verify(*parsed_forged, kOrigin, kOrigin, s.key.bytes.data()).error().code ==
          "checkpoint.signature_invalid");
}
