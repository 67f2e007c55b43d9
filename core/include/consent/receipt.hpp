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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/decision.hpp"
#include "consent/encoding.hpp"
#include "consent/notice.hpp"
#include "consent/result.hpp"

namespace consent {

inline constexpr std::string_view kReceiptSchema = "consent-receipt/1";
inline constexpr std::string_view kReceiptJwsType = "consent-receipt+jws";
inline constexpr std::string_view kReceiptJwsAlg = "EdDSA";  // RFC 8037 §3.1

// What the server adds to a decision when it records it.
struct ReceiptFacts {
    std::string receipt_id;
    std::string site_id;
    std::int64_t server_time = 0;   // seconds since the Unix epoch
    std::int64_t log_index = 0;     // position in the append-only log (RFC 9162 leaf index)
    std::string previous_receipt_hash;  // hex SHA-256 of this subject's previous receipt JWS, "" if first
};

// The canonical payload object. Integers and strings only (no floats, ever).
nlohmann::json make_receipt_payload(const Notice& notice, const Decision& decision, const ReceiptFacts& facts);

// The JOSE header: {"alg":"EdDSA","kid":…,"typ":"consent-receipt+jws"}.
nlohmann::json receipt_jws_header(std::string_view kid);

// BASE64URL(UTF8(header)) || '.' || BASE64URL(payload): the bytes that are
// signed (RFC 7515 §5.1). Both parts are canonical JSON.
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
Result<CompactJws> parse_compact_jws(std::string_view compact);

// Hex SHA-256 of the compact JWS text: what the next receipt of the same
// subject names as "prev", chaining a subject's receipts.
std::string receipt_hash(std::string_view compact_jws);

}  // namespace consent
