// The erasure receipt (issue #13, docs/erasure.md): the server's signed record
// that some receipts of the log lost their bytes. It names no person: which log
// indices, their leaf hashes (so anyone can match them against the log's
// leaves without the erased texts), when, why and on whose request. Per erased
// receipt it keeps what the opt-in statistics count (time, method, purpose
// states), so a chart does not move when its subjects are erased.
//
// Like a receipt it is RFC 8785 canonical JSON inside a compact JWS (typ
// consent-erasure+jws), and it is a leaf of the same log. Erasure receipts of a
// site chain by "prev" under the reserved subject kErasureSubject.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/log/receipt.hpp"

namespace consent {

inline constexpr std::string_view kErasureSchema = "consent-erasure/1";
inline constexpr std::string_view kErasureJwsType = "consent-erasure+jws";
// The subject column of an erasure receipt: '#' is in no subject id
// (is_subject_id), so no subject's chain can meet the erasures' chain.
inline constexpr std::string_view kErasureSubject = "#erasure";

// One erased receipt as the erasure receipt names it.
struct ErasedEntry {
    std::int64_t log_index = 0;
    std::string leaf;      // lowercase hex RFC 9162 leaf hash of the erased JWS
    std::int64_t iat = 0;  // the erased receipt's signed server time
    std::string method;
    std::vector<std::pair<std::string, std::string>> purposes;  // (id, "granted" | "denied"), as signed
};

struct ErasureFacts {
    std::string erasure_id;
    std::string site_id;
    std::int64_t server_time = 0;
    std::int64_t log_index = 0;         // the erasure receipt's own leaf index
    std::string previous_erasure_hash;  // receipt_hash of the site's previous erasure receipt, "" if first
    std::string reason;                 // a token (is_erasure_reason), never free text
    std::string requested_by;           // an API key id, "consentctl" or "retention"
};

struct ErasureContents {
    ErasureFacts facts;
    std::vector<ErasedEntry> erased;  // in log order, at least one
};

// [a-z0-9_-], 1..64: a reason is a word ("subject_request", "retention"), so
// no one can write a person's name into the log that is kept for good.
bool is_erasure_reason(std::string_view text) noexcept;

// What the erasure receipt keeps of a receipt about to be erased, read from
// its signed payload (not from columns beside it). Codes: receipt.bad_payload.
Result<ErasedEntry> erased_entry(const CompactJws& receipt, std::string_view compact_jws);

// The entry's canonical JSON object, as it stands in the payload's "erased" array
// (and, byte for byte, in the erased row's payload column).
nlohmann::json erased_entry_json(const ErasedEntry& entry);

// Codes: erasure.invalid (an empty list, indices not increasing or not before
// the erasure's own, a bad reason, a leaf that is not 64 hex digits).
Status check_erasure(const ErasureContents& contents);
nlohmann::json make_erasure_payload(const ErasureContents& contents);
// {"alg":"EdDSA","kid":…,"typ":"consent-erasure+jws"}
nlohmann::json erasure_jws_header(std::string_view kid);

// The inverse of make_erasure_payload, checked as check_erasure does.
// Codes: erasure.bad_payload (path names the field), erasure.invalid.
Result<ErasureContents> read_erasure_payload(const nlohmann::json& payload);
// parse_compact_jws for typ consent-erasure+jws (same strictness).
Result<CompactJws> parse_erasure_jws(std::string_view compact);

}  // namespace consent
