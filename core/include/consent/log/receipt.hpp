// The receipt: the server's signed record of one decision (DESIGN.md "Receipts").
//
// The payload is built here, in the core, so that the server that signs it and
// any verifier (browser, consentctl verify) agree on every field. Signing itself
// is not the core's: the payload travels as RFC 8785 canonical JSON inside a
// compact JWS (RFC 7515 §3.1) whose signature the caller computes.
//
// Fields merge Kantara Consent Receipt v1.1 and ISO/IEC TS 27560: receipt id,
// schema version, jurisdiction, controller, policy URL, notice id + version +
// content hash, language shown, subject id, per purpose (id, state, legal basis,
// DPV IRI), method, server event time, expiry, the previous receipt's hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/crypto/encoding.hpp"

namespace consent {

inline constexpr std::string_view kReceiptSchema = "consent-receipt/1";
inline constexpr std::string_view kReceiptJwsType = "consent-receipt+jws";
inline constexpr std::string_view kReceiptJwsAlg = "EdDSA";  // RFC 8037 §3.1

// RFC 8032 §5.1.6: an Ed25519 signature is 64 bytes.
inline constexpr std::size_t kReceiptSignatureSize = 64;
// A receipt is a few hundred bytes; anything far larger is not one of ours and
// is refused before it is decoded ("jws.malformed").
inline constexpr std::size_t kJwsMaxBytes = 64 * 1024;
// I-JSON (RFC 7493 §2.2): integers beyond 2^53 - 1 lose precision in many
// verifiers (JavaScript above all), so receipt integers stay within it.
inline constexpr std::int64_t kMaxReceiptInteger = 9007199254740991;
// 9999-12-31T23:59:59Z: the latest server_time a receipt accepts.
inline constexpr std::int64_t kMaxReceiptTime = 253402300799;

// What the server adds to a decision when it records it.
struct ReceiptFacts {
    std::string receipt_id;
    std::string site_id;
    std::int64_t server_time = 0;       // seconds since the Unix epoch
    std::int64_t log_index = 0;         // position in the append-only log (RFC 9162 leaf index)
    std::string previous_receipt_hash;  // hex SHA-256 of this subject's previous receipt JWS, "" if first
};

// Checks that decision was made on exactly this notice version (id, version,
// content hash), that it names only the notice's purposes, and that the facts
// are in range (non-empty ids, 0 <= server_time <= kMaxReceiptTime,
// 0 <= log_index <= kMaxReceiptInteger, prev "" or 64 lowercase hex).
// Codes: receipt.notice_mismatch, receipt.unknown_purpose, receipt.invalid_facts.
// Call it before make_receipt_payload on anything not fresh from make_decision.
// notice_hash is notice_content_hash(notice), passed in because the caller keeps
// it (recomputing it per receipt would canonicalize the whole notice each time).
Status check_receipt_inputs(const Notice& notice, const std::string& notice_hash, const Decision& decision,
                            const ReceiptFacts& facts);

// The canonical payload object. Integers and strings only (no floats, ever).
// Precondition: check_receipt_inputs passed. A purpose the notice does not know
// is still recorded (never dropped), after the others and without a legal basis.
nlohmann::json make_receipt_payload(const Notice& notice, const Decision& decision, const ReceiptFacts& facts);

// The JOSE header: {"alg":"EdDSA","kid":…,"typ":"consent-receipt+jws"}.
nlohmann::json receipt_jws_header(std::string_view kid);

// BASE64URL(UTF8(header)) || '.' || BASE64URL(payload): the bytes that are
// signed (RFC 7515 §5.1). Both parts are canonical JSON. Both must be objects
// (jws.bad_header, jws.bad_payload); a float in the payload is jws.bad_payload;
// canonicalization errors (jcs.*, json.too_deep) pass through.
Result<std::string> jws_signing_input(const nlohmann::json& header, const nlohmann::json& payload);

// signing_input || '.' || BASE64URL(signature)
std::string jws_compact(const std::string& signing_input, const Bytes& signature);

struct CompactJws {
    nlohmann::json header;
    nlohmann::json payload;
    std::string payload_text;   // the exact payload bytes
    std::string signing_input;  // what the signature covers
    Bytes signature;
};

// Splits and decodes a compact JWS; checks alg and typ. Does not verify the
// signature (the caller holds the keys). Codes: jws.malformed, jws.bad_header,
// jws.unsupported_alg, jws.wrong_type, jws.bad_payload, jws.not_canonical.
//
// Strict, because the input is untrusted and one receipt must have exactly one
// accepted text (its hash chains the subject's receipts):
// - jws.malformed: not exactly three '.'-separated parts, a part that is not
//   unpadded base64url (RFC 7515 §2), a signature that is not 64 bytes, or more
//   than kJwsMaxBytes;
// - jws.bad_header: not a JSON object, no non-empty "kid" string, no "alg"
//   string, "crit" (no extension is understood, RFC 7515 §4.1.11), or any
//   member besides alg, kid and typ (e.g. "jwk"/"jku": keys never come from
//   the token itself);
// - jws.unsupported_alg: alg other than exactly "EdDSA" ("none", "HS256", ...);
// - jws.wrong_type: typ missing or not exactly "consent-receipt+jws";
// - jws.bad_payload: not a JSON object (strict parse), or holding a float;
// - jws.not_canonical: re-canonicalizing the payload gives other bytes.
Result<CompactJws> parse_compact_jws(std::string_view compact);

// The same checks for another EdDSA JWS type (subject tokens): typ must be
// expected_type; the payload need not be canonical when minted by other libraries.
Result<CompactJws> parse_compact_jws_as(std::string_view compact, std::string_view expected_type,
                                        bool require_canonical_payload);

// What a signed receipt payload says, read back: the decision it records and
// the facts the server added. Auditors and the server's own audit compare a
// store's columns with this, so every stored value derived from a receipt is
// checked against what was signed (issue #10). The inverse of
// make_receipt_payload for the fields it copies from the decision and facts;
// "exp", the controller, the policy URL, legal bases and DPV IRIs come from
// the notice and are not part of the decision.
// Codes: receipt.bad_payload (a field missing, of the wrong type or out of
// range; path names it), and the decision.* codes of parse_decision.
struct ReceiptContents {
    Decision decision;
    ReceiptFacts facts;
};
Result<ReceiptContents> read_receipt_payload(const nlohmann::json& payload);

// Hex SHA-256 of the compact JWS text: what the next receipt of the same
// subject names as "prev", chaining a subject's receipts.
std::string receipt_hash(std::string_view compact_jws);

}  // namespace consent
