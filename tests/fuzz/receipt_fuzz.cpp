// Receipt (compact JWS) verification on untrusted text, as the banner's
// receipt page (receipt.verify), consentctl verify and consentd check it.
// The verifier knows the keys of two logs: the fixed fuzz key and the real
// consentd key of tests/data/receipts/served_receipt.json. Properties:
// - the only texts that verify are the receipts those keys signed, byte for
//   byte (the fuzzer cannot sign, and a receipt has exactly one accepted text:
//   its hash chains the subject's receipts);
// - the core's Ed25519 and libsodium's agree on every signature;
// - the JSON API's receipt.verify gives the same verdict.
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "consent/api/json_api.hpp"
#include "consent/crypto/ed25519.hpp"
#include "consent/log/receipt.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;
using nlohmann::json;

namespace {

struct Known {
    std::vector<std::pair<std::string, Bytes>> keys;  // kid, public key
    std::vector<std::string> signed_texts;
    json jwks;
};

const Known& known() {
    static const Known k = [] {
        Known out;
        const auto& fixed = fuzz::fixed_key();
        out.keys.emplace_back(fixed.kid, Bytes(fixed.public_key.begin(), fixed.public_key.end()));
        const auto& served = fuzz::served_receipt();
        for (const auto& key : served.jwks.at("keys"))
            out.keys.emplace_back(key.at("kid").get<std::string>(),
                                  base64url_decode(key.at("x").get<std::string>()).value());
        out.signed_texts = fuzz::signed_log().leaves;
        out.signed_texts.push_back(served.jws);
        out.jwks = fixed.jwks();
        for (const auto& key : served.jwks.at("keys")) out.jwks["keys"].push_back(key);
        return out;
    }();
    return k;
}

// The core's verdict, and libsodium's on the same bytes (which must agree).
bool verifies(const CompactJws& jws) {
    const std::string kid = jws.header.value("kid", "");
    for (const auto& [key_id, key] : known().keys) {
        if (key_id != kid) continue;
        const bool core = ed25519_verify(key, jws.signing_input, jws.signature);
        const bool sodium = crypto_sign_verify_detached(
                                jws.signature.data(), reinterpret_cast<const unsigned char*>(jws.signing_input.data()),
                                jws.signing_input.size(), key.data()) == 0;
        fuzz::check(core == sodium, "the core's Ed25519 and libsodium agree", jws.signing_input);
        if (core) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (sodium_init() < 0) fuzz::fail("sodium_init");
    (void)known();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::as_text(data, size));
    const auto jws = parse_compact_jws(text);
    const bool accepted = jws && verifies(*jws);
    const auto& originals = known().signed_texts;
    if (accepted)
        fuzz::check(std::find(originals.begin(), originals.end(), text) != originals.end(),
                    "only a receipt the key signed verifies, byte for byte", text);
    // The browser's path: the JSON API with the JWKS. Its answer is always JSON.
    const std::string answer = call_json_api("receipt.verify", json{{"jws", text}, {"jwks", known().jwks}}.dump(
                                                                   -1, ' ', false, json::error_handler_t::replace));
    const json verdict = json::parse(answer, nullptr, false);
    fuzz::check(!verdict.is_discarded() && verdict.is_object(), "receipt.verify answers JSON", answer);
    if (verdict.value("ok", false))
        fuzz::check(verdict["value"].value("valid", false) == accepted, "receipt.verify agrees with the verifier",
                    answer);
    return 0;
}
