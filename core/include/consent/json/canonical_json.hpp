// RFC 8785 JSON Canonicalization Scheme (JCS).
// Receipts and notice hashes are computed over these bytes; a verifier in any
// language that implements RFC 8785 gets the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"

namespace consent {

// Deepest nesting of arrays/objects accepted by parse_json_strict and
// canonicalize ("json.too_deep"). Both walk untrusted input, and canonicalize
// recurses, so the limit keeps the native and wasm stacks safe. Consent
// documents are a handful of levels deep.
inline constexpr std::size_t kJsonMaxDepth = 256;

// Canonical form of an already-parsed value. Numbers are serialized as
// ECMAScript Number.prototype.toString would (RFC 8785 §3.2.2.3); non-finite
// numbers are "jcs.number_not_finite". Object members sorted by UTF-16 code
// units (§3.2.3). Strings must be valid UTF-8 ("jcs.invalid_utf8"). Binary
// and discarded values have no JSON form ("jcs.unsupported_value"); nesting
// deeper than kJsonMaxDepth is "json.too_deep". Errors carry the JSON pointer
// of the offending value.
Result<std::string> canonicalize(const Json& value);

// Parse JSON text then canonicalize. Malformed text is "json.parse_error";
// duplicate member names are "jcs.duplicate_key" (I-JSON, RFC 7493 §2.3).
Result<std::string> canonicalize_text(std::string_view json_text);

// Parse untrusted JSON text strictly: malformed text -> "json.parse_error" (message says where),
// duplicate member names at any depth -> "jcs.duplicate_key" with the JSON pointer path (RFC 6901) of the duplicate,
// invalid UTF-8 / lone surrogate escapes -> "json.parse_error" or "jcs.invalid_utf8".
// Also: a byte order mark is "json.parse_error" (RFC 8259 §8.1 lets a parser
// refuse it), numbers outside the double range are "jcs.number_not_finite",
// nesting deeper than kJsonMaxDepth is "json.too_deep"; each with its path.
// Never throws, also when built with exceptions disabled.
Result<Json> parse_json_strict(std::string_view json_text);

}  // namespace consent
