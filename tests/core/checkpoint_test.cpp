// Checkpoint notes (C2SP tlog-checkpoint / signed-note): format and strict parsing.
// Signature verification with real keys is in tests/server/checkpoint_signing_test.cpp.
#include <catch2/catch.hpp>

#include <string>

#include "consent/log/checkpoint.hpp"

namespace {

namespace cp = consent::checkpoint;

cp::Body body() {
    cp::Body b;
    b.origin = "consentd.example/receipts";
    b.tree_size = 42;
    b.root = consent::merkle::leaf_hash("root");
    b.timestamp = 1767225600;
    return b;
}

std::string note_with(const std::string& signed_text) {
    const consent::Bytes signature(64, 0xAB);
    return cp::assemble(signed_text, "consentd.example/receipts", {1, 2, 3, 4}, signature);
}

}  // namespace

TEST_CASE("a checkpoint body has origin, size, base64 root and time lines", "[core][checkpoint]") {
    const std::string text = cp::body_text(body());
    CHECK(text == "consentd.example/receipts\n42\n" + consent::base64_encode(body().root) + "\ntime 1767225600\n");
}

TEST_CASE("an assembled checkpoint parses back to the same body and signature", "[core][checkpoint]") {
    const std::string note = note_with(cp::body_text(body()));
    auto parsed = cp::parse(note);
    REQUIRE(parsed.ok());
    CHECK(parsed->body.origin == body().origin);
    CHECK(parsed->body.tree_size == 42);
    CHECK(parsed->body.root == body().root);
    CHECK(parsed->body.timestamp == 1767225600);
    CHECK(parsed->signed_text == cp::body_text(body()));
    REQUIRE(parsed->signatures.size() == 1);
    CHECK(parsed->signatures[0].key_name == "consentd.example/receipts");
    CHECK(parsed->signatures[0].key_hash == std::array<std::uint8_t, 4>{1, 2, 3, 4});
    CHECK(parsed->signatures[0].signature == consent::Bytes(64, 0xAB));
}

TEST_CASE("malformed checkpoints are refused with a code, never half read", "[core][checkpoint]") {
    const std::string good_body = cp::body_text(body());
    const std::string root_line = consent::base64_encode(body().root);
    struct Case {
        std::string note;
        std::string code;
    };
    const auto c = GENERATE_COPY(values<Case>({
        {"", "checkpoint.malformed"},
        {good_body, "checkpoint.malformed"},                                         // no signatures
        {good_body + "\n", "checkpoint.malformed"},                                  // blank line, nothing after
        {note_with("o\n042\n" + root_line + "\ntime 1\n"), "checkpoint.malformed"},  // leading zero
        {note_with("o\n-1\n" + root_line + "\ntime 1\n"), "checkpoint.malformed"},
        {note_with("o\n1\nnot-base64\ntime 1\n"), "checkpoint.bad_root"},
        {note_with("o\n1\nAAAA\ntime 1\n"), "checkpoint.bad_root"},        // 3 bytes
        {note_with("o\n1\n" + root_line + "\n"), "checkpoint.malformed"},  // no time line
        {note_with("o\n1\n" + root_line + "\nwhen 1\n"), "checkpoint.malformed"},
        {note_with("\n1\n" + root_line + "\ntime 1\n"), "checkpoint.malformed"},
        {good_body + "\n- name AAAA\n", "checkpoint.malformed"},  // hyphen, not an em dash
        {note_with(good_body).substr(0, note_with(good_body).size() - 1), "checkpoint.malformed"},
    }));
    CAPTURE(c.note);
    auto parsed = cp::parse(c.note);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == c.code);
}

TEST_CASE("the signed-note key hash depends on the key name and the key", "[core][checkpoint]") {
    std::uint8_t key[32] = {};
    const auto a = cp::ed25519_key_hash("log-a", key);
    const auto b = cp::ed25519_key_hash("log-b", key);
    key[0] = 1;
    const auto c = cp::ed25519_key_hash("log-a", key);
    CHECK(a != b);
    CHECK(a != c);
}
