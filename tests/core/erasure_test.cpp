// The erasure receipt's payload in the core (consent/log/erasure.hpp): what it
// keeps of an erased receipt, that it names no person, and that a reader
// refuses one that is malformed. Natively and in wasm.
#include "consent/log/erasure.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "test_files.hpp"

namespace {

using nlohmann::json;

// A receipt A kept before its erasure, from the signed fixture.
const std::string& kept_receipt() {
    static const std::string jws =
        json::parse(consent::test::read_file(consent::test::data_dir() + "/bundles/erased_subject.json"))["held"][1];
    return jws;
}

consent::ErasureContents contents() {
    consent::ErasureContents c;
    c.facts = consent::ErasureFacts{"ers_1", "bike-shop", 1767225600, 9, "", "subject_request", "ck_shop"};
    c.erased.push_back(
        consent::erased_entry(consent::parse_compact_jws(kept_receipt()).value(), kept_receipt()).value());
    return c;
}

}  // namespace

TEST_CASE("an erased entry keeps the leaf hash and what statistics count, and nothing that names a person",
          "[core][erasure]") {
    const auto c = contents();
    const auto& e = c.erased[0];
    CHECK(e.leaf == consent::hex_encode(consent::merkle::leaf_hash(kept_receipt())));
    CHECK(e.log_index == 2);
    CHECK(e.method == "custom");
    REQUIRE(e.purposes.size() == 3);
    const std::string text = consent::canonicalize(consent::make_erasure_payload(c)).value();
    const json payload = consent::parse_compact_jws(kept_receipt())->payload;
    for (const char* personal : {"subject", "decision_id", "receipt_id"}) {
        CAPTURE(personal);
        CHECK(text.find(payload[personal].get<std::string>()) == std::string::npos);
    }
}

TEST_CASE("an erasure payload reads back to what was written", "[core][erasure]") {
    const auto c = contents();
    auto read = consent::read_erasure_payload(consent::make_erasure_payload(c));
    REQUIRE(read);
    CHECK(read->facts.erasure_id == "ers_1");
    CHECK(read->facts.reason == "subject_request");
    CHECK(read->facts.log_index == 9);
    REQUIRE(read->erased.size() == 1);
    CHECK(read->erased[0].leaf == c.erased[0].leaf);
    CHECK(read->erased[0].purposes == c.erased[0].purposes);
    CHECK(consent::erased_entry_json(read->erased[0]) == consent::erased_entry_json(c.erased[0]));
}

TEST_CASE("a reason is a word, never free text the log would keep for good", "[core][erasure]") {
    CHECK(consent::is_erasure_reason("subject_request"));
    CHECK(consent::is_erasure_reason("retention"));
    CHECK_FALSE(consent::is_erasure_reason(""));
    CHECK_FALSE(consent::is_erasure_reason("asked by Jane Doe"));
    CHECK_FALSE(consent::is_erasure_reason(std::string(65, 'a')));
    auto c = contents();
    c.facts.reason = "Jane";
    CHECK(consent::check_erasure(c).error().code == "erasure.invalid");
}

TEST_CASE("an erasure names at least one receipt, before its own index, in order", "[core][erasure]") {
    auto empty = contents();
    empty.erased.clear();
    CHECK(consent::check_erasure(empty).error().code == "erasure.invalid");
    auto later = contents();
    later.facts.log_index = 2;  // its own index cannot be one it erases
    CHECK(consent::check_erasure(later).error().code == "erasure.invalid");
    auto repeated = contents();
    repeated.erased.push_back(repeated.erased[0]);
    CHECK(consent::check_erasure(repeated).error().code == "erasure.invalid");
    auto bad_leaf = contents();
    bad_leaf.erased[0].leaf = "ABC";
    CHECK(consent::check_erasure(bad_leaf).error().code == "erasure.invalid");
}

TEST_CASE("a malformed erasure payload is refused with the path of the field", "[core][erasure]") {
    json p = consent::make_erasure_payload(contents());
    json wrong_schema = p;
    wrong_schema["schema"] = "consent-erasure/2";
    CHECK(consent::read_erasure_payload(wrong_schema).error().path == "/schema");
    json no_leaf = p;
    no_leaf["erased"][0].erase("leaf");
    CHECK(consent::read_erasure_payload(no_leaf).error().path == "/erased/0/leaf");
    json extra = p;
    extra["erased"][0]["subject"] = "b_x";  // an entry carries exactly its five members
    CHECK(consent::read_erasure_payload(extra).error().code == "erasure.bad_payload");
    json state = p;
    state["erased"][0]["purposes"][0]["state"] = "maybe";
    CHECK(consent::read_erasure_payload(state).error().code == "erasure.bad_payload");
    CHECK(consent::read_erasure_payload(json::array()).error().code == "erasure.bad_payload");
}
