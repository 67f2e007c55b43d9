// Checkpoint (C2SP signed note) parsing and verification on untrusted text.
// The verifier knows two logs' keys (the fuzz key and served_receipt.json's
// consentd key, both under origin consentd/receipts). Properties:
// - a note that verifies signs exactly the body of a checkpoint those keys
//   signed (signed-note lets others add their own signature lines, so the
//   body, not the whole text, is what must not change);
// - the core's Ed25519 and libsodium's agree;
// - the JSON API's checkpoint.verify gives the same verdict.
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "consent/api/json_api.hpp"
#include "consent/crypto/ed25519.hpp"
#include "consent/log/checkpoint.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;
using nlohmann::json;

namespace {

struct Known {
    std::vector<Bytes> keys;
    std::vector<std::string> signed_bodies;
    json jwks;
};

const Known& known() {
    static const Known k = [] {
        Known out;
        const auto& fixed = fuzz::fixed_key();
        const auto& served = fuzz::served_receipt();
        out.keys.emplace_back(fixed.public_key.begin(), fixed.public_key.end());
        for (const auto& key : served.jwks.at("keys"))
            out.keys.push_back(base64url_decode(key.at("x").get<std::string>()).value());
        for (const auto* note : {&fuzz::signed_log().checkpoint, &served.checkpoint})
            out.signed_bodies.push_back(checkpoint::parse(*note).value().signed_text);
        out.jwks = fixed.jwks();
        for (const auto& key : served.jwks.at("keys")) out.jwks["keys"].push_back(key);
        return out;
    }();
    return k;
}

bool verifies(const checkpoint::Note& note) {
    bool any = false;
    for (const auto& key : known().keys) {
        const bool core = checkpoint::verify(note, fuzz::kLogOrigin, fuzz::kLogOrigin, key.data()).ok();
        const auto hash = checkpoint::ed25519_key_hash(fuzz::kLogOrigin, key.data());
        for (const auto& s : note.signatures) {
            if (s.key_name != fuzz::kLogOrigin || s.key_hash != hash || s.signature.size() != 64) continue;
            const bool sodium = crypto_sign_verify_detached(
                                    s.signature.data(), reinterpret_cast<const unsigned char*>(note.signed_text.data()),
                                    note.signed_text.size(), key.data()) == 0;
            // verify() decides on the first line for the key; libsodium must agree on that one.
            fuzz::check(core == sodium, "the core's Ed25519 and libsodium agree", note.signed_text);
            break;
        }
        any = any || core;
    }
    return any;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (sodium_init() < 0) fuzz::fail("sodium_init");
    (void)known();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::as_text(data, size));
    const auto note = checkpoint::parse(text);
    const bool accepted = note && verifies(*note);
    if (accepted) {
        const auto& bodies = known().signed_bodies;
        fuzz::check(std::find(bodies.begin(), bodies.end(), note->signed_text) != bodies.end(),
                    "only a body the key signed verifies", text);
    }
    const std::string answer = call_json_api(
        "checkpoint.verify", json{{"note", text}, {"origin", fuzz::kLogOrigin}, {"jwks", known().jwks}}.dump(
                                 -1, ' ', false, json::error_handler_t::replace));
    const json verdict = json::parse(answer, nullptr, false);
    fuzz::check(!verdict.is_discarded() && verdict.is_object(), "checkpoint.verify answers JSON", answer);
    if (verdict.value("ok", false))
        fuzz::check(verdict["value"].value("valid", false) == accepted, "checkpoint.verify agrees with the verifier",
                    answer);
    return 0;
}
