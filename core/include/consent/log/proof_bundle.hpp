// Proof bundle verification (consent-proof-bundle/1, DESIGN.md "Receipts and
// the log"; erasure: issue #13, docs/erasure.md). One verifier for every
// caller: consentctl verify reads the files and calls it, the browser pages
// call it through the JSON API (bundle.verify) in wasm. It trusts nothing but
// the keys in the bundle, which the caller compares with consentd's published
// JWKS (or a key it pinned), and checks in order:
//   1. every receipt's Ed25519 signature, and that the unsigned fields beside
//      it say what the signed payload says;
//   2. each notice text hashes to the hash the receipt signed;
//   3. the subject's chain: receipts in log order, each naming the one before;
//   4. erasures: each erasure receipt is signed, is for this site, and none of
//      the receipts the bundle still carries is one it erased;
//   5. receipts the subject kept (the banner keeps each one) are in the bundle,
//      or named, index and leaf hash and what statistics count, by one of its
//      erasure receipts;
//   6. the checkpoint is signed under the log's origin, and every receipt and
//      erasure receipt is in that tree at its index (the leaf is the JWS text);
//   7. optionally, an older checkpoint the caller held is a prefix of it.
// An erased receipt's proofs still verify: the log keeps its leaf hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"

namespace consent::bundle {

inline constexpr std::string_view kFormat = "consent-proof-bundle/1";

struct Inputs {
    nlohmann::json bundle;
    // An older checkpoint note the caller held, with the log's consistency
    // proof from its size to the bundle's ({"from","to","proof"}, as GET
    // /v1/log/proofs/consistency answers). Both or neither (verify.bad_proof).
    std::string older_checkpoint;
    nlohmann::json consistency;
    // Receipts the subject kept, as compact JWS texts (see held_receipt_text).
    std::vector<std::string> held;
};

struct Report {
    std::vector<std::string> lines;  // one per check passed, for people
    std::size_t receipts = 0;
    std::size_t erasures = 0;     // erasure receipts in the bundle
    std::size_t erased = 0;       // receipts they name as erased
    std::size_t held = 0;         // held receipts checked
    std::size_t held_erased = 0;  // of them, erased (named by an erasure receipt)
    std::int64_t tree_size = -1;  // the bundle's checkpoint, -1 without one
};

// Codes (verify.*): bad_bundle, jws_malformed, unknown_kid, signature_invalid,
// payload_mismatch, notice_missing, notice_hash_mismatch, order_invalid,
// chain_broken, erasure_invalid, erasure_mismatch, receipt_missing,
// checkpoint_missing, checkpoint_invalid, inclusion_invalid, bad_proof,
// consistency_invalid. The message names the receipt (id and log index).
Result<Report> verify(const Inputs& inputs);

// What a file of a held receipt holds: the compact JWS itself, or a decision
// answer {"receipt": "<jws>", …}; trailing whitespace dropped.
std::string held_receipt_text(std::string_view file_text);

}  // namespace consent::bundle
