#include "cli/verify_command.hpp"

#include <algorithm>

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/notice.hpp"
#include "consent/crypto/ed25519.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"

namespace consent::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 64;
constexpr int kExitDataErr = 65;
constexpr int kExitTempFail = 75;  // EX_TEMPFAIL
constexpr int kExitNoInput = 66;
constexpr std::string_view kBundleFormat = "consent-proof-bundle/1";

// A receipt of the bundle as given, with its JWS parsed (not yet trusted).
struct BundleReceipt {
    std::string receipt_id;
    std::int64_t log_index = 0;
    std::string jws;
    CompactJws parsed;
    std::vector<Bytes> inclusion_proof;
};

// Public keys by kid, from the bundle's JWKS.
using KeyMap = std::map<std::string, Bytes>;

// Members are read only after their type is checked: the bundle is untrusted
// and a json::get of the wrong type would throw (or abort without exceptions).
std::optional<std::string> string_member(const json& object, const char* name) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(name);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

std::optional<std::int64_t> int_member(const json& object, const char* name) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(name);
    if (it == object.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
}

const json* member(const json& object, const char* name) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

std::string describe(const BundleReceipt& r) {
    return "receipt " + r.receipt_id + " (log index " + std::to_string(r.log_index) + ")";
}

Error receipt_error(const BundleReceipt& r, const std::string& code, const std::string& detail) {
    return make_error(code, describe(r) + ": " + detail);
}

Error bad_bundle(const std::string& detail) { return make_error("verify.bad_bundle", detail); }

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cli.cannot_read", "cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Result<json> read_json(const std::string& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    auto parsed = parse_json_strict(*text);
    if (!parsed)
        return make_error("verify.bad_bundle", path + ": " + parsed.error().code + ": " + parsed.error().message);
    return parsed;
}

// Base64 (standard) hashes as served in proofs; a bad element is reported by position.
Result<std::vector<Bytes>> decode_hashes(const json& array, const std::string& what) {
    if (!array.is_array()) return bad_bundle(what + " is not an array");
    std::vector<Bytes> out;
    for (std::size_t i = 0; i < array.size(); ++i) {
        // A non-string element is given as text that is never base64, so it fails the same way.
        auto bytes = base64_decode(array[i].is_string() ? array[i].get<std::string>() : std::string("!"));
        if (!bytes) return make_error("verify.bad_proof", what + " element " + std::to_string(i) + " is not base64");
        out.push_back(std::move(*bytes));
    }
    return out;
}

// RFC 8037 §2 OKP Ed25519 keys; anything else in the JWKS is ignored, because
// no receipt or checkpoint could verify under it anyway.
Result<KeyMap> parse_keys(const json& bundle) {
    const json* jwks = member(bundle, "keys");
    const json* keys = jwks ? member(*jwks, "keys") : nullptr;
    if (keys == nullptr || !keys->is_array()) return bad_bundle("the bundle has no JWKS \"keys\"");
    KeyMap out;
    for (const auto& k : *keys) {
        const auto kid = string_member(k, "kid");
        const auto x = string_member(k, "x");
        if (!kid || !x || string_member(k, "kty") != "OKP" || string_member(k, "crv") != "Ed25519") continue;
        auto bytes = base64url_decode(*x);
        if (!bytes || bytes->size() != kEd25519PublicKeySize)
            return bad_bundle("JWKS key " + *kid + " has a bad \"x\"");
        out[*kid] = std::move(*bytes);
    }
    if (out.empty()) return bad_bundle("the bundle's JWKS has no Ed25519 key");
    return out;
}

Result<BundleReceipt> parse_receipt(const json& entry, std::size_t position) {
    BundleReceipt r;
    const auto id = string_member(entry, "receipt_id");
    const auto index = int_member(entry, "log_index");
    const auto jws = string_member(entry, "jws");
    if (!id || !index || !jws)
        return bad_bundle("receipt " + std::to_string(position) + " lacks receipt_id, log_index or jws");
    r.receipt_id = *id;
    r.log_index = *index;
    r.jws = *jws;
    auto parsed = parse_compact_jws(r.jws);
    if (!parsed) return receipt_error(r, "verify.jws_malformed", parsed.error().code + ": " + parsed.error().message);
    r.parsed = std::move(*parsed);
    // A receipt newer than the checkpoint has no proof; step 5 reports it.
    if (const json* proof = member(entry, "inclusion_proof")) {
        auto hashes = decode_hashes(*proof, "the inclusion proof");
        if (!hashes) return receipt_error(r, hashes.error().code, hashes.error().message);
        r.inclusion_proof = std::move(*hashes);
    }
    return r;
}

Result<std::vector<BundleReceipt>> parse_receipts(const json& bundle) {
    const json* receipts = member(bundle, "receipts");
    if (receipts == nullptr || !receipts->is_array()) return bad_bundle("the bundle has no \"receipts\" array");
    std::vector<BundleReceipt> out;
    for (std::size_t i = 0; i < receipts->size(); ++i) {
        auto r = parse_receipt((*receipts)[i], i);
        if (!r) return r.error();
        out.push_back(std::move(*r));
    }
    return out;
}

// Step 1. The kid only picks the key; the signature alone decides.
Status check_signature(const BundleReceipt& r, const KeyMap& keys) {
    const std::string kid = string_member(r.parsed.header, "kid").value_or("");
    const auto key = keys.find(kid);
    if (key == keys.end()) return receipt_error(r, "verify.unknown_kid", "no key " + kid + " in the bundle's JWKS");
    if (!consent::ed25519_verify(key->second, r.parsed.signing_input, r.parsed.signature))
        return receipt_error(r, "verify.signature_invalid", "the Ed25519 signature does not verify with key " + kid);
    return Unit{};
}

// The unsigned bundle fields must say what the signed payload says, so that
// the log index used for the inclusion proof is the one the server signed.
Status check_payload_facts(const BundleReceipt& r, const json& bundle) {
    const json& p = r.parsed.payload;
    if (string_member(p, "receipt_id") != r.receipt_id || int_member(p, "log_index") != r.log_index)
        return receipt_error(r, "verify.payload_mismatch", "receipt_id or log_index differ from the signed payload");
    if (string_member(p, "site") != string_member(bundle, "site"))
        return receipt_error(r, "verify.payload_mismatch", "the payload's site is not the bundle's");
    if (string_member(p, "subject") != string_member(bundle, "subject"))
        return receipt_error(r, "verify.payload_mismatch", "the payload's subject is not the bundle's");
    return Unit{};
}

// Step 2: the text in the bundle is the text the person was shown, because its
// hash (recomputed by the core, not taken from the bundle) is in the signed payload.
Status check_notice(const BundleReceipt& r, const json& bundle) {
    const json* named = member(r.parsed.payload, "notice");
    const auto version = named ? int_member(*named, "version") : std::nullopt;
    const auto signed_hash = named ? string_member(*named, "hash") : std::nullopt;
    if (!version || !signed_hash) return receipt_error(r, "verify.notice_hash_mismatch", "the payload names no notice");
    const json* notices = member(bundle, "notices");
    const json* entry = notices ? member(*notices, std::to_string(*version).c_str()) : nullptr;
    const auto text = entry ? string_member(*entry, "canonical_json") : std::nullopt;
    if (!text)
        return receipt_error(r, "verify.notice_missing", "the bundle lacks notice version " + std::to_string(*version));
    auto notice = parse_notice_text(*text);
    if (!notice)
        return receipt_error(r, "verify.notice_hash_mismatch",
                             "notice version " + std::to_string(*version) + " does not parse: " + notice.error().code);
    const std::string computed = notice_content_hash(*notice);
    if (computed != *signed_hash || string_member(*entry, "hash") != *signed_hash)
        return receipt_error(r, "verify.notice_hash_mismatch",
                             "notice version " + std::to_string(*version) + " hashes to " + computed +
                                 ", the receipt names " + *signed_hash);
    if (string_member(*named, "id") != notice->notice_id)
        return receipt_error(r, "verify.notice_hash_mismatch", "the notice id differs from the receipt's");
    return Unit{};
}

// Step 3: each receipt names its predecessor's hash, so a dropped, inserted or
// reordered receipt of this subject breaks the chain. (Dropping the newest
// receipts leaves a valid prefix: only a later receipt or the log can show that.)
// Order is checked for all receipts first: a swap is then named as such, not
// as the chain break it also causes.
Status check_chain(const std::vector<BundleReceipt>& receipts) {
    for (std::size_t i = 1; i < receipts.size(); ++i)
        if (receipts[i].log_index <= receipts[i - 1].log_index)
            return receipt_error(receipts[i], "verify.order_invalid",
                                 "comes after log index " + std::to_string(receipts[i - 1].log_index) +
                                     ": receipts must be in log order");
    for (std::size_t i = 0; i < receipts.size(); ++i) {
        const BundleReceipt& r = receipts[i];
        const std::string expected = i == 0 ? std::string() : receipt_hash(receipts[i - 1].jws);
        const std::string prev = string_member(r.parsed.payload, "prev").value_or("");
        if (prev != expected)
            return receipt_error(r, "verify.chain_broken",
                                 "prev is \"" + prev + "\" but the receipt before it hashes to \"" + expected +
                                     "\": a receipt is missing or reordered");
    }
    return Unit{};
}

// Step 4, also for an older note: the key name is the log's origin, and the
// key is whichever JWKS key the note's signature line names by key hash.
Result<checkpoint::Note> verified_note(const std::string& text, const std::string& origin, const KeyMap& keys,
                                       const std::string& what) {
    auto note = checkpoint::parse(text);
    if (!note)
        return make_error("verify.checkpoint_invalid", what + ": " + note.error().code + ": " + note.error().message);
    Error last = make_error("checkpoint.no_signature_for_key", "no signature by a key of the bundle's JWKS");
    for (const auto& [kid, key] : keys) {
        auto ok = checkpoint::verify(*note, origin, origin, key.data());
        if (ok) return note;
        // A signature line for this key that fails is the more telling error.
        if (ok.error().code != "checkpoint.no_signature_for_key") last = ok.error();
    }
    return make_error("verify.checkpoint_invalid", what + ": " + last.code + ": " + last.message);
}

Bytes to_bytes(const merkle::Hash& h) { return Bytes(h.begin(), h.end()); }

// Step 5: the leaf is the JWS text, so the log holds exactly these bytes.
Status check_inclusion(const BundleReceipt& r, const checkpoint::Note& note) {
    if (r.log_index >= note.body.tree_size)
        return receipt_error(r, "verify.inclusion_invalid",
                             "not covered by the checkpoint (tree size " + std::to_string(note.body.tree_size) + ")");
    auto ok = merkle::verify_inclusion(static_cast<std::uint64_t>(r.log_index),
                                       static_cast<std::uint64_t>(note.body.tree_size),
                                       to_bytes(merkle::leaf_hash(r.jws)), r.inclusion_proof, to_bytes(note.body.root));
    if (!ok) return receipt_error(r, "verify.inclusion_invalid", ok.error().code + ": " + ok.error().message);
    return Unit{};
}

// Step 6: the newer tree extends the older one, so nothing the old checkpoint
// covered was rewritten or removed.
Status check_consistency(const checkpoint::Note& old_note, const checkpoint::Note& note, const json& proof_file) {
    const auto from = int_member(proof_file, "from");
    const auto to = int_member(proof_file, "to");
    const json* proof = member(proof_file, "proof");
    if (!from || !to || proof == nullptr)
        return make_error("verify.bad_proof", "the consistency file needs from, to and proof");
    if (*from != old_note.body.tree_size || *to != note.body.tree_size)
        return make_error("verify.consistency_invalid", "the proof is from " + std::to_string(*from) + " to " +
                                                            std::to_string(*to) + ", the checkpoints are " +
                                                            std::to_string(old_note.body.tree_size) + " and " +
                                                            std::to_string(note.body.tree_size));
    auto hashes = decode_hashes(*proof, "the consistency proof");
    if (!hashes) return hashes.error();
    auto ok = merkle::verify_consistency(static_cast<std::uint64_t>(*from), static_cast<std::uint64_t>(*to),
                                         to_bytes(old_note.body.root), to_bytes(note.body.root), *hashes);
    if (!ok) return make_error("verify.consistency_invalid", ok.error().code + ": " + ok.error().message);
    return Unit{};
}

// A receipt the subject kept (the banner keeps each one with its proof): the
// compact JWS alone, or a decision answer {"receipt": "<jws>", …}.
Result<BundleReceipt> read_held_receipt(const std::string& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    std::string jws = *text;
    auto as_json = parse_json_strict(jws);
    if (as_json && as_json->is_object()) jws = string_member(*as_json, "receipt").value_or("");
    while (!jws.empty() && (jws.back() == '\n' || jws.back() == '\r' || jws.back() == ' ')) jws.pop_back();
    BundleReceipt r;
    r.jws = jws;
    auto parsed = parse_compact_jws(jws);
    if (!parsed)
        return make_error("verify.jws_malformed", "the held receipt in " + path + ": " + parsed.error().message);
    r.parsed = std::move(*parsed);
    r.receipt_id = string_member(r.parsed.payload, "receipt_id").value_or("?");
    r.log_index = int_member(r.parsed.payload, "log_index").value_or(-1);
    return r;
}

// Runs the checks in order; each passed check adds one line.
class Verifier {
public:
    explicit Verifier(json bundle) : bundle_(std::move(bundle)) {}

    Status run(const std::string& old_checkpoint_path, const std::string& consistency_path,
               const std::vector<std::string>& held_paths) {
        if (string_member(bundle_, "bundle") != std::string(kBundleFormat) || !string_member(bundle_, "site") ||
            !string_member(bundle_, "subject"))
            return bad_bundle("not a consent-proof-bundle/1 with site and subject");
        if (auto s = load(); !s) return s;
        if (auto s = receipts_checks(); !s) return s;
        if (auto s = held_checks(held_paths); !s) return s;
        if (auto s = log_checks(); !s) return s;
        if (old_checkpoint_path.empty()) return Unit{};
        return consistency(old_checkpoint_path, consistency_path);
    }

    const std::vector<std::string>& lines() const { return lines_; }
    std::size_t receipt_count() const { return receipts_.size(); }

private:
    Status load() {
        auto keys = parse_keys(bundle_);
        if (!keys) return keys.error();
        keys_ = std::move(*keys);
        auto receipts = parse_receipts(bundle_);
        if (!receipts) return receipts.error();
        receipts_ = std::move(*receipts);
        return Unit{};
    }

    Status receipts_checks() {
        for (const auto& r : receipts_)
            if (auto s = check_signature(r, keys_); !s) return s;
        lines_.push_back("signatures: " + std::to_string(receipts_.size()) + " receipts signed by the bundle's keys");
        for (const auto& r : receipts_) {
            if (auto s = check_payload_facts(r, bundle_); !s) return s;
            if (auto s = check_notice(r, bundle_); !s) return s;
        }
        lines_.push_back("notices: every receipt's notice text hashes to the hash it names");
        if (auto s = check_chain(receipts_); !s) return s;
        lines_.push_back("chain: receipts in log order, each naming the one before");
        return Unit{};
    }

    // A bundle can leave out a subject's newest receipts and still chain: a
    // receipt the subject holds, validly signed, must be in it.
    Status held_checks(const std::vector<std::string>& paths) {
        for (const auto& path : paths) {
            auto held = read_held_receipt(path);
            if (!held) return held.error();
            if (auto s = check_signature(*held, keys_); !s) return s;
            const bool present = std::any_of(receipts_.begin(), receipts_.end(),
                                             [&](const BundleReceipt& r) { return r.jws == held->jws; });
            if (!present)
                return receipt_error(*held, "verify.receipt_missing",
                                     "the bundle leaves out this receipt, which the subject holds signed");
        }
        if (!paths.empty()) lines_.push_back("held: every receipt the subject kept is in the bundle");
        return Unit{};
    }

    Status log_checks() {
        const json* log = member(bundle_, "log");
        const auto origin = log ? string_member(*log, "origin") : std::nullopt;
        const auto text = log ? string_member(*log, "checkpoint") : std::nullopt;
        if (!origin || !text) {
            if (receipts_.empty()) return Unit{};
            return make_error("verify.checkpoint_missing", "the bundle has receipts but no log checkpoint");
        }
        origin_ = *origin;
        auto note = verified_note(*text, origin_, keys_, "the bundle's checkpoint");
        if (!note) return note.error();
        note_ = std::move(*note);
        lines_.push_back("checkpoint: " + origin_ + " tree size " + std::to_string(note_->body.tree_size) + " signed");
        for (const auto& r : receipts_)
            if (auto s = check_inclusion(r, *note_); !s) return s;
        lines_.push_back("inclusion: every receipt is in the log at its index");
        return Unit{};
    }

    Status consistency(const std::string& old_path, const std::string& proof_path) {
        if (!note_) return make_error("verify.checkpoint_missing", "the bundle has no checkpoint to compare with");
        auto old_text = read_text(old_path);
        if (!old_text) return old_text.error();
        auto old_note = verified_note(*old_text, origin_, keys_, "the older checkpoint");
        if (!old_note) return old_note.error();
        auto proof = read_json(proof_path);
        if (!proof) return proof.error();
        if (auto s = check_consistency(*old_note, *note_, *proof); !s) return s;
        lines_.push_back("consistency: tree size " + std::to_string(old_note->body.tree_size) +
                         " is a prefix of tree size " + std::to_string(note_->body.tree_size));
        return Unit{};
    }

    json bundle_;
    KeyMap keys_;
    std::vector<BundleReceipt> receipts_;
    std::string origin_;
    std::optional<checkpoint::Note> note_;
    std::vector<std::string> lines_;
};

Outcome failure(const Error& e) {
    // sysexits.h EX_TEMPFAIL for a busy or full database: the audit can be run again.
    const int code = e.code == "cli.cannot_read"       ? kExitNoInput
                     : e.code == "storage.unavailable" ? kExitTempFail
                                                       : kExitDataErr;
    return {code, {}, e.code + ": " + e.message};
}

// One stored checkpoint: its note parses, says what the row says, and is signed
// by one of the ring's keys under its origin.
Status audit_checkpoint(const server::Checkpoint& c, const server::KeyRing& keys, const std::string& origin) {
    const std::string where = "checkpoint at tree size " + std::to_string(c.tree_size);
    auto note = checkpoint::parse(c.note);
    if (!note)
        return make_error("audit.checkpoint_invalid", where + ": " + note.error().code + ": " + note.error().message);
    if (note->body.tree_size != c.tree_size || note->body.root != c.root || note->body.origin != origin)
        return make_error("audit.checkpoint_invalid", where + ": the note's size, root or origin differ from the log");
    for (const auto& k : keys.public_keys())
        if (checkpoint::verify(*note, origin, origin, k.bytes.data())) return Unit{};
    return make_error("audit.checkpoint_invalid", where + ": no key of the ring signed it");
}

}  // namespace

Outcome run_verify(const std::string& bundle_path, const std::string& old_checkpoint_path,
                   const std::string& consistency_path, const std::vector<std::string>& held_receipts) {
    if (old_checkpoint_path.empty() != consistency_path.empty())
        return {kExitUsage,
                {},
                "usage: consentctl verify BUNDLE --checkpoint=OLD_NOTE needs --consistency=PROOF_JSON "
                "(from GET /v1/log/proofs/consistency), and the other way round"};
    auto bundle = read_json(bundle_path);
    if (!bundle) return failure(bundle.error());
    Verifier verifier(std::move(*bundle));
    if (auto s = verifier.run(old_checkpoint_path, consistency_path, held_receipts); !s) return failure(s.error());
    std::string out;
    for (const auto& line : verifier.lines()) out += line + "\n";
    return {0, out + "ok: " + std::to_string(verifier.receipt_count()) + " receipts verified", {}};
}

// An erasure receipt's signature, by its kid, against the ring (issue #13).
Status verify_erasure_jws(const server::KeyRing& ring, const std::string& compact) {
    auto jws = parse_erasure_jws(compact);
    if (!jws) return jws.error();
    const std::string kid = string_member(jws->header, "kid").value_or("");
    const server::PublicKey* key = ring.find(kid);
    if (key == nullptr) return make_error("jws.unknown_kid", "no key in the ring has the erasure receipt's kid");
    if (!server::ed25519_verify(key->bytes.data(), jws->signing_input, jws->signature))
        return make_error("receipt.signature_invalid", "the erasure receipt's signature does not verify with " + kid);
    return Unit{};
}

struct AuditCounts {
    std::int64_t receipts = 0;
    std::int64_t erased = 0;    // rows without bytes, each named by an erasure receipt (rebuild_check)
    std::int64_t erasures = 0;  // erasure receipts
};

// Every receipt's signature, against the ring's keys (old ones included: a
// rotated key still vouches for what it signed). Paged in log order. An
// erased receipt has no signature left: the store's audit checked it against
// the erasure receipt that names it, whose signature is checked here.
Status audit_signatures(server::ReceiptStore& store, const server::KeyRing& keys, AuditCounts& count) {
    constexpr std::size_t kPage = 1024;
    std::int64_t after = -1;
    for (;;) {
        auto page = store.log_receipts(after, kPage);
        if (!page) return page.error();
        for (const auto& r : *page) {
            if (server::is_erased(r)) {
                ++count.erased;
                continue;
            }
            const bool erasure = server::is_erasure_receipt(r);
            auto v = erasure ? verify_erasure_jws(keys, r.jws) : server::verify_receipt_jws(keys, r.jws);
            if (!v)
                return make_error("audit.receipt_invalid", "the receipt at log index " + std::to_string(r.log_index) +
                                                               ": " + v.error().code + ": " + v.error().message);
            ++(erasure ? count.erasures : count.receipts);
        }
        if (page->size() < kPage) return Unit{};
        after = page->back().log_index;
    }
}

// Every checkpoint size from 1 to the latest is looked up: one indexed query
// each, so the audit is linear in the log's size, which an audit may be.
Outcome run_audit(server::ReceiptStore& store, const server::KeyRing& keys) {
    // The store's own checks: columns against their JWS, the subjects' chains,
    // state against the rebuild, the Merkle tree against the receipts.
    if (auto r = store.rebuild_check(); !r) return failure(r.error());
    AuditCounts counts;
    if (auto s = audit_signatures(store, keys, counts); !s) return failure(s.error());
    const std::string erasures = counts.erasures == 0
                                     ? std::string()
                                     : "; " + std::to_string(counts.erased) +
                                           " erased receipts, each named with its leaf hash by one of " +
                                           std::to_string(counts.erasures) + " signed erasure receipts";
    const auto latest = store.latest_checkpoint();
    if (!latest && !server::is_not_found(latest.error())) return failure(latest.error());
    if (!latest) return {0, "ok: state equals the rebuild; the log has no checkpoint yet", {}};
    auto latest_note = checkpoint::parse(latest->note);
    if (!latest_note)
        return failure(make_error("audit.checkpoint_invalid", "the latest checkpoint: " + latest_note.error().code));
    const std::string origin = latest_note->body.origin;
    std::int64_t checked = 0;
    for (std::int64_t size = 1; size <= latest->tree_size; ++size) {
        const auto c = store.checkpoint_at(size);
        if (!c && server::is_not_found(c.error())) continue;
        if (!c) return failure(c.error());
        if (auto s = audit_checkpoint(*c, keys, origin); !s) return failure(s.error());
        ++checked;
    }
    return {0,
            "ok: state equals the rebuild from " + std::to_string(counts.receipts) +
                " receipts; each receipt's columns match its signed JWS and its signature verifies" + erasures + "; " +
                std::to_string(checked) + " checkpoints of " + origin + " verify",
            {}};
}

}  // namespace consent::cli
