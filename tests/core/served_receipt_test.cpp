// A receipt and checkpoint signed by consentd (libsodium) verify with the
// core's own Ed25519 through the JSON API the browser calls, natively and as
// wasm; any change to them does not.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "consent/api/json_api.hpp"
#include "test_files.hpp"

namespace {

using nlohmann::json;

json fixture() {
    return json::parse(consent::test::read_file(consent::test::data_dir() + "/receipts/served_receipt.json"));
}

json call(const std::string& op, const json& input) {
    const json answer = json::parse(consent::call_json_api(op, input.dump()));
    REQUIRE(answer["ok"] == true);
    return answer["value"];
}

}  // namespace

TEST_CASE("a receipt served by consentd verifies with the core and names its purposes", "[core][receipt][verify]") {
    const json f = fixture();
    const json v = call("receipt.verify", {{"jws", f["jws"]}, {"jwks", f["jwks"]}});
    CHECK(v["valid"] == true);
    CHECK(v["payload"]["notice"]["id"] == "bike-shop");
    CHECK(v["payload"]["purposes"][1]["state"] == "granted");
}

TEST_CASE("a receipt with a changed payload or signature does not verify", "[core][receipt][verify]") {
    const json f = fixture();
    std::string jws = f["jws"];
    const auto first_dot = jws.find('.');
    const std::size_t at = GENERATE(std::size_t{5}, std::size_t{60}, std::size_t{200});
    std::string tampered = jws;
    const std::size_t pos = first_dot + at < jws.size() ? first_dot + at : jws.size() - 3;
    tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
    CAPTURE(pos);
    CHECK(call("receipt.verify", {{"jws", tampered}, {"jwks", f["jwks"]}})["valid"] == false);
}

TEST_CASE("the checkpoint served with a receipt verifies and includes it", "[core][checkpoint][verify]") {
    const json f = fixture();
    const json cp =
        call("checkpoint.verify", {{"note", f["checkpoint"]}, {"origin", f["origin"]}, {"jwks", f["jwks"]}});
    REQUIRE(cp["valid"] == true);
    CHECK(cp["tree_size"] == f["tree_size"]);
    const json leaf = call("merkle.leaf_hash", {{"data", f["jws"]}});
    const json inclusion = call("merkle.verify_inclusion", {{"leaf_index", f["log_index"]},
                                                            {"tree_size", f["tree_size"]},
                                                            {"leaf_hash", leaf["hash"]},
                                                            {"proof", f["inclusion_proof"]},
                                                            {"root", cp["root"]}});
    CHECK(inclusion["valid"] == true);
    CHECK(call("checkpoint.verify",
               {{"note", f["checkpoint"]}, {"origin", "another/log"}, {"jwks", f["jwks"]}})["valid"] == false);
    std::string forged = f["checkpoint"];
    forged.replace(forged.find("\n1\n"), 3, "\n2\n");
    CHECK(call("checkpoint.verify", {{"note", forged}, {"origin", f["origin"]}, {"jwks", f["jwks"]}})["valid"] ==
          false);
}
