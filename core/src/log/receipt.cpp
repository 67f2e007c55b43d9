// Receipt payload and its compact JWS envelope (RFC 7515, RFC 8037, RFC 8785).
//
// The payload's fields follow Kantara Consent Receipt v1.1 and ISO/IEC TS 27560
// (consent record information structure), with JWT-style names for the times
// ("iat", "exp": RFC 7519 §4.1) so that generic JOSE tooling reads them too.
#include "consent/log/receipt.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"

namespace consent {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- payload

json purpose_entry(const std::string& id, PurposeState state, const Purpose* purpose) {
    json out = {{"id", id}, {"state", std::string(to_string(state))}};
    if (purpose == nullptr) return out;
    out["legal_basis"] = std::string(to_string(purpose->legal_basis));
    if (purpose->dpv) out["dpv"] = *purpose->dpv;
    return out;
}

// In the notice's display order, so the receipt reads like the banner did; an
// array, not an object, because JCS would otherwise reorder it alphabetically.
json purposes_array(const Notice& notice, const Decision& decision) {
    json out = json::array();
    for (const Purpose& p : notice.purposes) {
        const auto it = decision.purposes.find(p.id);
        if (it != decision.purposes.end()) out.push_back(purpose_entry(p.id, it->second, &p));
    }
    for (const auto& [id, state] : decision.purposes)
        if (notice.find_purpose(id) == nullptr) out.push_back(purpose_entry(id, state, nullptr));
    return out;
}

// Expiry rule: a receipt stays evidence for as long as any of its purpose
// states still counts under the policy (policy.cpp too_old): a grant for the
// purpose's max_age_days, a refusal or withdrawal for its refusal_max_age_days.
// So exp = iat + the longest of those among the consent purposes it names.
// Necessary purposes never expire in the policy and do not count; a receipt
// naming none of the others keeps the default 180 days.
std::int64_t lifetime_seconds(const Notice& notice, const Decision& decision) {
    std::int64_t longest_days = 0;
    for (const auto& [id, state] : decision.purposes) {
        const Purpose* p = notice.find_purpose(id);
        if (p == nullptr || p->is_necessary()) continue;
        const std::int64_t days = state == PurposeState::granted ? p->max_age_days : p->refusal_max_age_days;
        longest_days = std::max(longest_days, days);
    }
    if (longest_days == 0) longest_days = kDefaultMaxAgeDays;
    return longest_days * 86400;
}

json context_object(const DecisionContext& context) {
    json out = json::object();
    if (context.origin) out["origin"] = *context.origin;
    if (context.ua_class) out["ua_class"] = *context.ua_class;
    return out;
}

bool is_lower_hex_digest(const std::string& text) {
    return text.size() == 2 * kSha256Size && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

Status check_facts(const ReceiptFacts& facts) {
    const auto invalid = [](const std::string& why, const std::string& path) {
        return make_error("receipt.invalid_facts", why, path);
    };
    if (facts.receipt_id.empty()) return invalid("a receipt needs a receipt id", "/receipt_id");
    if (facts.site_id.empty()) return invalid("a receipt needs a site id", "/site");
    if (facts.server_time < 0 || facts.server_time > kMaxReceiptTime)
        return invalid("server time must be between 1970 and 9999", "/iat");
    if (facts.log_index < 0 || facts.log_index > kMaxReceiptInteger)
        return invalid("log index must be between 0 and 2^53 - 1 (RFC 7493 §2.2)", "/log_index");
    if (!facts.previous_receipt_hash.empty() && !is_lower_hex_digest(facts.previous_receipt_hash))
        return invalid("the previous receipt hash is 64 lowercase hex digits", "/prev");
    return Unit{};
}

// ---------------------------------------------------------------- JWS

std::string text_of(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// The JSON pointer of the first floating-point number in value, if any.
// Receipts carry integers and strings only: a float's text form differs
// between languages, which is what RFC 8785 §3.2.2.3 has to work around.
std::optional<std::string> first_float(const json& value, const std::string& path) {
    if (value.is_number_float()) return path;
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it)
            if (auto found = first_float(it.value(), json_pointer_append(path, it.key()))) return found;
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i)
            if (auto found = first_float(value[i], json_pointer_append(path, i))) return found;
    }
    return std::nullopt;
}

Error malformed(const std::string& why) { return make_error("jws.malformed", "the compact JWS " + why); }
Error bad_header(const std::string& why) { return make_error("jws.bad_header", "the JWS header " + why); }

// RFC 7515 §7.1: exactly three parts. The count is checked before anything is
// decoded, so "a.b.c.d" (a JWE has five) is never half-read.
Result<std::array<std::string_view, 3>> split_compact(std::string_view compact) {
    if (compact.size() > kJwsMaxBytes) return malformed("is longer than " + std::to_string(kJwsMaxBytes) + " bytes");
    if (std::count(compact.begin(), compact.end(), '.') != 2)
        return malformed("must have exactly three parts separated by '.' (RFC 7515 §7.1)");
    const std::size_t first = compact.find('.');
    const std::size_t second = compact.find('.', first + 1);
    return std::array<std::string_view, 3>{compact.substr(0, first), compact.substr(first + 1, second - first - 1),
                                           compact.substr(second + 1)};
}

Result<std::string> decode_part(std::string_view part, const char* name) {
    auto bytes = base64url_decode(part);
    if (!bytes) return malformed(std::string("has a ") + name + " that is not unpadded base64url (RFC 7515 §2)");
    return text_of(*bytes);
}

// RFC 7515 §4.1.1 alg, §4.1.9 typ, §4.1.4 kid, §4.1.11 crit.
Status check_header(const json& header, std::string_view expected_type) {
    if (!header.is_object()) return bad_header("is not a JSON object");
    const auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string()) return bad_header("has no \"alg\" string (RFC 7515 §4.1.1)");
    if (alg->get_ref<const std::string&>() != kReceiptJwsAlg)
        return make_error("jws.unsupported_alg", "a receipt is signed with alg \"EdDSA\" (RFC 8037 §3.1) only");
    const auto typ = header.find("typ");
    if (typ == header.end() || !typ->is_string() || typ->get_ref<const std::string&>() != expected_type)
        return make_error("jws.wrong_type",
                          "the JWS typ is not \"" + std::string(expected_type) + "\" (RFC 7515 §4.1.9)");
    const auto kid = header.find("kid");
    if (kid == header.end() || !kid->is_string() || kid->get_ref<const std::string&>().empty())
        return bad_header("has no \"kid\" naming the signing key (RFC 7515 §4.1.4)");
    if (header.contains("crit")) return bad_header("has \"crit\", but no extension is understood (RFC 7515 §4.1.11)");
    if (header.size() != 3) return bad_header("has members besides alg, kid and typ");
    return Unit{};
}

Result<json> read_header(const std::string& text, std::string_view expected_type) {
    auto header = parse_json_strict(text);
    if (!header) return bad_header("is not JSON: " + header.error().message);
    if (auto checked = check_header(*header, expected_type); !checked) return checked.error();
    return std::move(header).value();
}

Result<json> read_payload(const std::string& text, bool require_canonical) {
    auto payload = parse_json_strict(text);
    if (!payload)
        return make_error("jws.bad_payload", "the payload is not JSON: " + payload.error().message,
                          payload.error().path);
    if (!payload->is_object()) return make_error("jws.bad_payload", "the payload is not a JSON object");
    if (auto at = first_float(*payload, ""))
        return make_error("jws.bad_payload", "a receipt carries integers and strings only, never floats", *at);
    if (!require_canonical) return std::move(payload).value();
    // RFC 8785: the signer sent canonical bytes, so anything else was made by
    // someone else, or would let two texts stand for one receipt.
    auto canonical = canonicalize(*payload);
    if (!canonical || *canonical != text)
        return make_error("jws.not_canonical", "the payload is not RFC 8785 canonical JSON");
    return std::move(payload).value();
}

}  // namespace

Status check_receipt_inputs(const Notice& notice, const std::string& notice_hash, const Decision& decision,
                            const ReceiptFacts& facts) {
    if (decision.notice_id != notice.notice_id || decision.notice_version != notice.version)
        return make_error("receipt.notice_mismatch", "the decision was made on another notice version", "/notice");
    if (decision.notice_hash != notice_hash)
        return make_error("receipt.notice_mismatch", "the decision names another content hash than the notice's",
                          "/notice/hash");
    for (const auto& entry : decision.purposes)
        if (notice.find_purpose(entry.first) == nullptr)
            return make_error("receipt.unknown_purpose", "the notice has no purpose \"" + entry.first + "\"",
                              json_pointer_append("/purposes", entry.first));
    return check_facts(facts);
}

json make_receipt_payload(const Notice& notice, const Decision& decision, const ReceiptFacts& facts) {
    json payload = {
        {"schema", std::string(kReceiptSchema)},
        {"receipt_id", facts.receipt_id},
        {"site", facts.site_id},
        {"iat", facts.server_time},
        {"exp", facts.server_time + lifetime_seconds(notice, decision)},
        {"log_index", facts.log_index},
        {"controller", {{"name", notice.controller.name}, {"contact", notice.controller.contact}}},
        {"policy_url", notice.policy_url},
        {"notice", {{"id", decision.notice_id}, {"version", decision.notice_version}, {"hash", decision.notice_hash}}},
        {"language", decision.language},
        {"subject", decision.subject_id},
        {"decision_id", decision.decision_id},
        {"method", std::string(to_string(decision.method))},
        {"purposes", purposes_array(notice, decision)},
    };
    if (notice.jurisdiction) payload["jurisdiction"] = *notice.jurisdiction;
    if (!facts.previous_receipt_hash.empty()) payload["prev"] = facts.previous_receipt_hash;
    if (decision.client_time_ms) payload["client_time"] = *decision.client_time_ms;
    json context = context_object(decision.context);
    if (!context.empty()) payload["context"] = std::move(context);
    return payload;
}

namespace {

Error bad_payload(const std::string& message, const std::string& path) {
    return make_error("receipt.bad_payload", message, path);
}

// The purposes array of a payload as the stored decision's map of states.
Result<json> purpose_states(const json& purposes) {
    if (!purposes.is_array()) return bad_payload("\"purposes\" must be an array", "/purposes");
    json states = json::object();
    for (std::size_t i = 0; i < purposes.size(); ++i) {
        const json& p = purposes[i];
        const std::string at = json_pointer_append("/purposes", i);
        if (!p.is_object() || !p.contains("id") || !p["id"].is_string() || !p.contains("state"))
            return bad_payload("a purpose entry needs an id and a state", at);
        const std::string id = p["id"].get<std::string>();
        if (states.contains(id)) return bad_payload("a purpose is named twice", at);
        states[id] = p["state"];
    }
    return states;
}

}  // namespace

Result<ReceiptContents> read_receipt_payload(const json& payload) {
    if (!payload.is_object()) return bad_payload("a receipt payload is a JSON object", "");
    const auto text = [&](const char* key) -> const json* {
        const auto it = payload.find(key);
        return it != payload.end() && it->is_string() ? &*it : nullptr;
    };
    const auto integer = [&](const char* key) -> const json* {
        const auto it = payload.find(key);
        return it != payload.end() && it->is_number_integer() ? &*it : nullptr;
    };
    const json* receipt_id = text("receipt_id");
    const json* site = text("site");
    const json* iat = integer("iat");
    const json* log_index = integer("log_index");
    const json* subject = text("subject");
    const json* decision_id = text("decision_id");
    const json* method = text("method");
    const json* language = text("language");
    const auto notice = payload.find("notice");
    const auto purposes = payload.find("purposes");
    const char* missing = !receipt_id                                       ? "receipt_id"
                          : !site                                           ? "site"
                          : !iat                                            ? "iat"
                          : !log_index                                      ? "log_index"
                          : !subject                                        ? "subject"
                          : !decision_id                                    ? "decision_id"
                          : !method                                         ? "method"
                          : !language                                       ? "language"
                          : notice == payload.end() || !notice->is_object() ? "notice"
                          : purposes == payload.end()                       ? "purposes"
                                                                            : nullptr;
    if (missing != nullptr)
        return bad_payload(std::string("the payload has no valid \"") + missing + "\"", std::string("/") + missing);
    if (!notice->contains("id") || !notice->contains("version") || !notice->contains("hash"))
        return bad_payload("the payload's notice needs id, version and hash", "/notice");
    const auto prev = payload.find("prev");
    if (prev != payload.end() && !prev->is_string()) return bad_payload("\"prev\" must be a string", "/prev");
    auto states = purpose_states(*purposes);
    if (!states) return states.error();
    json stored = {{"decision_id", *decision_id},
                   {"subject_id", *subject},
                   {"notice_id", (*notice)["id"]},
                   {"notice_version", (*notice)["version"]},
                   {"notice_hash", (*notice)["hash"]},
                   {"language", *language},
                   {"method", *method},
                   {"purposes", std::move(states).value()}};
    if (payload.contains("client_time")) stored["client_time"] = payload["client_time"];
    if (payload.contains("context")) stored["context"] = payload["context"];
    auto decision = parse_decision(stored);
    if (!decision) return decision.error();
    ReceiptFacts facts{receipt_id->get<std::string>(), site->get<std::string>(), iat->get<std::int64_t>(),
                       log_index->get<std::int64_t>(),
                       prev != payload.end() ? prev->get<std::string>() : std::string()};
    return ReceiptContents{std::move(decision).value(), std::move(facts)};
}

json receipt_jws_header(std::string_view kid) {
    return {{"alg", std::string(kReceiptJwsAlg)}, {"kid", std::string(kid)}, {"typ", std::string(kReceiptJwsType)}};
}

// RFC 7515 §5.1 steps 2-6, with RFC 8785 bytes for both JSON parts so that
// the signing input is a function of the values alone.
Result<std::string> jws_signing_input(const json& header, const json& payload) {
    if (!header.is_object()) return bad_header("is not a JSON object");
    if (!payload.is_object()) return make_error("jws.bad_payload", "the payload is not a JSON object");
    auto header_text = canonicalize(header);
    if (!header_text) return header_text.error();
    auto payload_text = canonicalize(payload);
    if (!payload_text) return payload_text.error();
    if (auto at = first_float(payload, ""))
        return make_error("jws.bad_payload", "a receipt carries integers and strings only, never floats", *at);
    return base64url_encode(*header_text) + "." + base64url_encode(*payload_text);
}

// RFC 7515 §7.1 compact serialization.
std::string jws_compact(const std::string& signing_input, const Bytes& signature) {
    return signing_input + "." + base64url_encode(signature);
}

Result<CompactJws> parse_compact_jws(std::string_view compact) {
    return parse_compact_jws_as(compact, kReceiptJwsType, true);
}

Result<CompactJws> parse_compact_jws_as(std::string_view compact, std::string_view expected_type,
                                        bool require_canonical_payload) {
    auto parts = split_compact(compact);
    if (!parts) return parts.error();
    auto header_text = decode_part((*parts)[0], "header");
    if (!header_text) return header_text.error();
    auto payload_text = decode_part((*parts)[1], "payload");
    if (!payload_text) return payload_text.error();
    auto signature = base64url_decode((*parts)[2]);
    if (!signature) return malformed("has a signature that is not unpadded base64url (RFC 7515 §2)");
    if (signature->size() != kReceiptSignatureSize)
        return malformed("has a signature that is not 64 bytes (RFC 8032 §5.1.6)");
    auto header = read_header(*header_text, expected_type);
    if (!header) return header.error();
    auto payload = read_payload(*payload_text, require_canonical_payload);
    if (!payload) return payload.error();
    const std::size_t signed_size = (*parts)[0].size() + 1 + (*parts)[1].size();
    return CompactJws{std::move(header).value(), std::move(payload).value(), std::move(payload_text).value(),
                      std::string(compact.substr(0, signed_size)), std::move(signature).value()};
}

std::string receipt_hash(std::string_view compact_jws) { return hex_encode(sha256(compact_jws)); }

}  // namespace consent
