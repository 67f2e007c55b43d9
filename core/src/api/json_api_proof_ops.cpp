// The proof operations of the JSON API: Merkle proofs, receipt signatures and
// checkpoints, checked with the core's own verifiers (the same bytes natively
// and in the browser).
#include "json_api_tables.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "consent/crypto/ed25519.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/field_reader.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/proof_bundle.hpp"
#include "consent/log/receipt.hpp"

namespace consent::api {
namespace {

using nlohmann::json;

// Merkle hashes travel as standard base64 (as in the RFC 9162 test vectors).
Result<std::vector<std::uint8_t>> read_b64(const json& in, const char* key, bool allow_null_as_empty) {
    if (!in.contains(key) || (allow_null_as_empty && in[key].is_null())) {
        if (allow_null_as_empty) return std::vector<std::uint8_t>{};
        return make_error("api.missing_field", std::string("required field \"") + key + "\" is missing",
                          json_pointer_append("", key));
    }
    if (!in[key].is_string())
        return make_error("api.wrong_type", std::string(key) + " must be base64 text", json_pointer_append("", key));
    auto bytes = base64_decode(in[key].get_ref<const std::string&>());
    if (!bytes) return make_error(bytes.error().code, bytes.error().message, json_pointer_append("", key));
    return std::move(bytes).value();
}

Result<std::vector<std::vector<std::uint8_t>>> read_b64_list(const json& in, const char* key) {
    std::vector<std::vector<std::uint8_t>> out;
    if (!in.contains(key) || in[key].is_null()) return out;  // no proof: an empty one
    if (!in[key].is_array())
        return make_error("api.wrong_type", "proof must be an array", json_pointer_append("", key));
    for (std::size_t i = 0; i < in[key].size(); ++i) {
        const json& v = in[key][i];
        auto bytes = v.is_string() ? base64_decode(v.get_ref<const std::string&>())
                                   : Result<Bytes>(make_error("api.wrong_type", "proof element must be base64 text"));
        if (!bytes)
            return make_error(bytes.error().code, bytes.error().message,
                              json_pointer_append(json_pointer_append("", key), i));
        out.push_back(std::move(bytes).value());
    }
    return out;
}

json proof_answer(const Status& verdict) {
    if (verdict) return json{{"valid", true}};
    return json{{"valid", false}, {"reason", verdict.error().code}, {"message", verdict.error().message}};
}

Result<json> op_merkle_verify_inclusion(const json& in) {
    FieldReader r(in, "", "api");
    const auto index = r.integer("leaf_index", 0, INT64_MAX);
    const auto size = r.integer("tree_size", 0, INT64_MAX);
    if (!r.ok()) return r.error();
    auto leaf = read_b64(in, "leaf_hash", false);
    auto root = read_b64(in, "root", false);
    auto proof = read_b64_list(in, "proof");
    if (!leaf) return leaf.error();
    if (!root) return root.error();
    if (!proof) return proof.error();
    return proof_answer(merkle::verify_inclusion(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(size),
                                                 *leaf, *proof, *root));
}

Result<json> op_merkle_verify_consistency(const json& in) {
    FieldReader r(in, "", "api");
    const auto size1 = r.integer("size1", 0, INT64_MAX);
    const auto size2 = r.integer("size2", 0, INT64_MAX);
    if (!r.ok()) return r.error();
    auto root1 = read_b64(in, "root1", false);
    auto root2 = read_b64(in, "root2", false);
    auto proof = read_b64_list(in, "proof");
    if (!root1) return root1.error();
    if (!root2) return root2.error();
    if (!proof) return proof.error();
    return proof_answer(merkle::verify_consistency(static_cast<std::uint64_t>(size1), static_cast<std::uint64_t>(size2),
                                                   *root1, *root2, *proof));
}

// {"data": "<text>"} -> {"hash": "<base64 of RFC 9162 leaf hash>"}
Result<json> op_merkle_leaf_hash(const json& in) {
    FieldReader r(in, "", "api");
    const std::string data = r.string("data", 1u << 20);
    if (!r.ok()) return r.error();
    return json{{"hash", base64_encode(merkle::leaf_hash(data))}};
}

// Public Ed25519 keys of a JWKS (RFC 8037 OKP), by kid.
std::vector<std::pair<std::string, Bytes>> okp_keys(const json& jwks) {
    std::vector<std::pair<std::string, Bytes>> out;
    if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) return out;
    for (const auto& k : jwks["keys"]) {
        if (!k.is_object() || k.value("kty", "") != "OKP" || k.value("crv", "") != "Ed25519") continue;
        if (!k.contains("x") || !k["x"].is_string()) continue;
        auto x = base64url_decode(k["x"].get_ref<const std::string&>());
        if (x && x->size() == kEd25519PublicKeySize) out.emplace_back(k.value("kid", ""), std::move(x).value());
    }
    return out;
}

// {"jws": "<compact>", "jwks": {...}} -> {"valid", "kid", "payload"} : a receipt
// checked in the browser with the core's own Ed25519, as any JOSE library would.
Result<json> op_receipt_verify(const json& in) {
    FieldReader r(in, "", "api");
    const std::string compact = r.string("jws", 65536);
    const json* jwks = r.object("jwks", true);
    if (!r.ok()) return r.error();
    auto jws = parse_compact_jws(compact);
    if (!jws) return json{{"valid", false}, {"reason", jws.error().code}, {"message", jws.error().message}};
    const std::string kid = jws->header.value("kid", "");
    for (const auto& [key_id, key] : okp_keys(*jwks)) {
        if (key_id != kid) continue;
        if (!ed25519_verify(key, jws->signing_input, jws->signature)) break;
        return json{{"valid", true}, {"kid", kid}, {"payload", jws->payload}};
    }
    return json{{"valid", false},
                {"reason", "receipt.signature_invalid"},
                {"message", "no key of this kid verifies the signature"}};
}

// {"note", "origin", "jwks"} -> {"valid", "tree_size", "root", "timestamp"}
Result<json> op_checkpoint_verify(const json& in) {
    FieldReader r(in, "", "api");
    const std::string text = r.string("note", 8192);
    const std::string origin = r.string("origin", 256);
    const json* jwks = r.object("jwks", true);
    if (!r.ok()) return r.error();
    auto note = checkpoint::parse(text);
    if (!note) return json{{"valid", false}, {"reason", note.error().code}, {"message", note.error().message}};
    Error last = make_error("checkpoint.no_signature_for_key", "no key of the JWKS signed this checkpoint");
    for (const auto& entry : okp_keys(*jwks)) {
        auto verdict = checkpoint::verify(*note, origin, origin, entry.second.data());
        if (verdict)
            return json{{"valid", true},
                        {"tree_size", note->body.tree_size},
                        {"root", base64_encode(note->body.root)},
                        {"timestamp", note->body.timestamp}};
        if (verdict.error().code != "checkpoint.no_signature_for_key") last = verdict.error();
    }
    return json{{"valid", false}, {"reason", last.code}, {"message", last.message}};
}

// {"bundle", "checkpoint"?, "consistency"?, "held"?: ["<jws>", …]} -> {"valid", "lines", counts} : a
// proof bundle (an export) checked in the browser by the same verifier as consentctl verify.
Result<json> op_bundle_verify(const json& in) {
    FieldReader r(in, "", "api");
    const json* bundle = r.object("bundle", true);
    const auto older = r.optional_string("checkpoint", 8192);
    const json* consistency = r.object("consistency", false);
    const json* held = r.array("held", false);
    r.reject_unknown({"bundle", "checkpoint", "consistency", "held"});
    if (!r.ok()) return r.error();
    bundle::Inputs inputs;
    inputs.bundle = *bundle;
    inputs.older_checkpoint = older.value_or("");
    if (consistency != nullptr) inputs.consistency = *consistency;
    if (held != nullptr)
        for (std::size_t i = 0; i < held->size(); ++i) {
            if (!(*held)[i].is_string())
                return make_error("api.wrong_type", "a held receipt is a compact JWS text",
                                  json_pointer_append(json_pointer_append("", "held"), i));
            inputs.held.push_back((*held)[i].get<std::string>());
        }
    auto report = bundle::verify(inputs);
    if (!report) return json{{"valid", false}, {"reason", report.error().code}, {"message", report.error().message}};
    return json{{"valid", true},
                {"lines", report->lines},
                {"receipts", report->receipts},
                {"erasures", report->erasures},
                {"erased", report->erased},
                {"held", report->held},
                {"held_erased", report->held_erased},
                {"tree_size", report->tree_size}};
}

}  // namespace

const OperationTable& proof_operations() {
    static const OperationTable table{
        {"merkle.verify_inclusion", op_merkle_verify_inclusion},
        {"merkle.verify_consistency", op_merkle_verify_consistency},
        {"merkle.leaf_hash", op_merkle_leaf_hash},
        {"receipt.verify", op_receipt_verify},
        {"checkpoint.verify", op_checkpoint_verify},
        {"bundle.verify", op_bundle_verify},
    };
    return table;
}

}  // namespace consent::api
