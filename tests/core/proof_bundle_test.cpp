// The core's proof bundle verifier (consent/log/proof_bundle.hpp), natively and
// in wasm, on a bundle signed by a fixed test key (tests/data/bundles/
// erased_subject.json, written by tests/tools/bundle_fixture_tool.cpp): a
// subject whose first two receipts were erased, the receipts it kept with the
// proofs it was handed, and an unerased subject's bundle. What an erasure must
// not break (every proof handed out still verifies) and what it must not hide
// (a receipt left out without an erasure receipt) are both asserted.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "consent/api/json_api.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/proof_bundle.hpp"
#include "test_files.hpp"

namespace {

using nlohmann::json;

const json& fixture() {
    static const json f =
        json::parse(consent::test::read_file(consent::test::data_dir() + "/bundles/erased_subject.json"));
    return f;
}

consent::bundle::Inputs erased_inputs() {
    consent::bundle::Inputs in;
    in.bundle = fixture()["bundle"];
    in.older_checkpoint = fixture()["checkpoint"].get<std::string>();
    in.consistency = fixture()["consistency"];
    in.held = fixture()["held"].get<std::vector<std::string>>();
    return in;
}

std::string failure_code(const consent::bundle::Inputs& in) {
    auto r = consent::bundle::verify(in);
    return r ? std::string("verified") : r.error().code;
}

// The middle of a compact JWS's payload part, one base64url character changed.
std::string tamper_payload(const std::string& jws) {
    std::string out = jws;
    const auto dot = out.find('.');
    char& c = out[dot + 10];
    c = c == 'A' ? 'B' : 'A';
    return out;
}

consent::Bytes bytes(const consent::merkle::Hash& h) { return consent::Bytes(h.begin(), h.end()); }

}  // namespace

TEST_CASE("a bundle with erased receipts verifies and says how many were erased", "[core][bundle][erasure]") {
    auto report = consent::bundle::verify(erased_inputs());
    REQUIRE(report);
    CHECK(report->receipts == 1);  // the decision after the erasure
    CHECK(report->erasures == 1);
    CHECK(report->erased == 2);
    CHECK(report->held == 2);
    CHECK(report->held_erased == 2);  // both kept receipts are named, with their leaf hashes
    CHECK(report->tree_size == 5);
    const std::string all = [&] {
        std::string s;
        for (const auto& l : report->lines) s += l + "\n";
        return s;
    }();
    CHECK_THAT(all, Catch::Contains("erasures: 1 signed erasure receipt names 2 erased receipts"));
    CHECK_THAT(all, Catch::Contains("or erased (2 named"));
    CHECK_THAT(all, Catch::Contains("consistency: tree size 3 is a prefix of tree size 5"));
}

TEST_CASE("the proofs a subject was handed before its erasure still verify", "[core][bundle][erasure]") {
    const json& f = fixture();
    auto held_note = consent::checkpoint::parse(f["checkpoint"].get<std::string>());
    REQUIRE(held_note);
    for (std::size_t i = 0; i < f["held"].size(); ++i) {
        const json& p = f["held_proofs"][i];
        std::vector<consent::Bytes> proof;
        for (const auto& h : p["inclusion_proof"])
            proof.push_back(consent::base64_decode(h.get<std::string>()).value());
        CAPTURE(i);
        CHECK(consent::merkle::verify_inclusion(p["log_index"].get<std::uint64_t>(), held_note->body.tree_size,
                                                bytes(consent::merkle::leaf_hash(f["held"][i].get<std::string>())),
                                                proof, bytes(held_note->body.root)));
    }
}

TEST_CASE("an unerased bundle verifies without erasure lines", "[core][bundle]") {
    consent::bundle::Inputs in;
    in.bundle = fixture()["plain"];
    in.held = {fixture()["other_receipt"].get<std::string>()};
    auto report = consent::bundle::verify(in);
    REQUIRE(report);
    CHECK(report->receipts == 1);
    CHECK(report->erasures == 0);
    CHECK(report->held_erased == 0);
    for (const auto& l : report->lines) CHECK(l.rfind("erasures:", 0) == std::string::npos);
}

TEST_CASE("a kept receipt left out of the bundle without an erasure receipt is caught", "[core][bundle][erasure]") {
    auto in = erased_inputs();
    in.bundle.erase("erasures");
    in.bundle["erased"] = false;
    CHECK(failure_code(in) == "verify.receipt_missing");
    // Another subject's receipt is not this subject's to explain away.
    auto other = erased_inputs();
    other.held = {fixture()["other_receipt"].get<std::string>()};
    CHECK(failure_code(other) == "verify.receipt_missing");
}

TEST_CASE("an erasure receipt changed by one byte fails its signature", "[core][bundle][erasure]") {
    auto in = erased_inputs();
    auto& jws = in.bundle["erasures"][0]["jws"];
    jws = tamper_payload(jws.get<std::string>());
    const std::string code = failure_code(in);
    // The changed byte either breaks the payload's JSON or, decoding, its signature.
    CHECK((code == "verify.signature_invalid" || code == "verify.erasure_invalid"));
}

TEST_CASE("an erasure receipt moved to another index contradicts its signed payload", "[core][bundle][erasure]") {
    auto in = erased_inputs();
    in.bundle["erasures"][0]["log_index"] = 1;
    CHECK(failure_code(in) == "verify.payload_mismatch");
}

TEST_CASE("the erased flag and the erasure receipts must agree", "[core][bundle][erasure]") {
    auto says_not = erased_inputs();
    says_not.bundle["erased"] = false;
    CHECK(failure_code(says_not) == "verify.bad_bundle");
    auto says_erased = erased_inputs();
    says_erased.bundle = fixture()["plain"];
    says_erased.held = {};
    says_erased.older_checkpoint.clear();
    says_erased.consistency = nullptr;
    says_erased.bundle["erased"] = true;
    CHECK(failure_code(says_erased) == "verify.bad_bundle");
}

TEST_CASE("a receipt an erasure names cannot stand in the bundle beside it", "[core][bundle][erasure]") {
    auto in = erased_inputs();
    // The erased first receipt put back (it chains: it is first and names no predecessor).
    in.bundle["receipts"] =
        json::array({{{"receipt_id", "rcpt_fx0"}, {"log_index", 0}, {"jws", fixture()["held"][0]}}});
    CHECK(failure_code(in) == "verify.erasure_mismatch");
}

TEST_CASE("an erasure receipt outside the checkpoint's tree fails inclusion", "[core][bundle][erasure]") {
    auto in = erased_inputs();
    in.bundle["erasures"][0]["inclusion_proof"] = json::array();
    CHECK(failure_code(in) == "verify.inclusion_invalid");
}

TEST_CASE("an older checkpoint without its consistency proof is refused", "[core][bundle]") {
    auto in = erased_inputs();
    in.consistency = nullptr;
    CHECK(failure_code(in) == "verify.bad_proof");
}

TEST_CASE("bundle.verify answers through the JSON API as the verifier does", "[core][bundle][api]") {
    const json& f = fixture();
    const json ok = json::parse(consent::call_json_api("bundle.verify", json{{"bundle", f["bundle"]},
                                                                             {"checkpoint", f["checkpoint"]},
                                                                             {"consistency", f["consistency"]},
                                                                             {"held", f["held"]}}
                                                                            .dump()));
    REQUIRE(ok["ok"] == true);
    CHECK(ok["value"]["valid"] == true);
    CHECK(ok["value"]["erased"] == 2);
    CHECK(ok["value"]["held_erased"] == 2);
    json no_erasure = f["bundle"];
    no_erasure.erase("erasures");
    no_erasure["erased"] = false;
    const json bad =
        json::parse(consent::call_json_api("bundle.verify", json{{"bundle", no_erasure}, {"held", f["held"]}}.dump()));
    REQUIRE(bad["ok"] == true);
    CHECK(bad["value"]["valid"] == false);
    CHECK(bad["value"]["reason"] == "verify.receipt_missing");
    const json wrong =
        json::parse(consent::call_json_api("bundle.verify", json{{"bundle", f["bundle"]}, {"held", {1}}}.dump()));
    CHECK(wrong["ok"] == false);
    CHECK(wrong["error"]["code"] == "api.wrong_type");
}
