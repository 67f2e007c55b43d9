#include "consent/log/proof_bundle.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "consent/consent/notice.hpp"
#include "consent/crypto/ed25519.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"

namespace consent::bundle {
namespace {

using nlohmann::json;

// A signed entry of the bundle as given (a receipt or an erasure receipt), with
// its JWS parsed but not yet trusted.
struct Entry {
    std::string id;  // receipt_id, or erasure_id
    std::int64_t log_index = 0;
    std::string jws;
    CompactJws parsed;
    std::vector<Bytes> inclusion_proof;
    bool erasure = false;
};

struct Erasure {
    Entry entry;
    ErasureContents contents;
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

std::string describe(const Entry& e) {
    return std::string(e.erasure ? "erasure receipt " : "receipt ") + e.id + " (log index " +
           std::to_string(e.log_index) + ")";
}

Error entry_error(const Entry& e, const std::string& code, const std::string& detail) {
    return make_error(code, describe(e) + ": " + detail);
}

Error bad_bundle(const std::string& detail) { return make_error("verify.bad_bundle", detail); }

// Base64 (standard) hashes as served in proofs; a bad element is reported by position.
Result<std::vector<Bytes>> decode_hashes(const json& array, const std::string& what) {
    if (!array.is_array()) return make_error("verify.bad_proof", what + " is not an array");
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

// One element of "receipts" ({receipt_id, log_index, jws, inclusion_proof}) or
// of "erasures" ({erasure_id, log_index, jws, inclusion_proof}).
Result<Entry> parse_entry(const json& item, std::size_t position, bool erasure) {
    const char* id_name = erasure ? "erasure_id" : "receipt_id";
    const char* what = erasure ? "erasure " : "receipt ";
    Entry e;
    e.erasure = erasure;
    const auto id = string_member(item, id_name);
    const auto index = int_member(item, "log_index");
    const auto jws = string_member(item, "jws");
    if (!id || !index || !jws)
        return bad_bundle(what + std::to_string(position) + " lacks " + id_name + ", log_index or jws");
    e.id = *id;
    e.log_index = *index;
    e.jws = *jws;
    auto parsed = erasure ? parse_erasure_jws(e.jws) : parse_compact_jws(e.jws);
    if (!parsed)
        return entry_error(e, erasure ? "verify.erasure_invalid" : "verify.jws_malformed",
                           parsed.error().code + ": " + parsed.error().message);
    e.parsed = std::move(*parsed);
    // An entry newer than the checkpoint has no proof; the inclusion check reports it.
    if (const json* proof = member(item, "inclusion_proof")) {
        auto hashes = decode_hashes(*proof, "the inclusion proof");
        if (!hashes) return entry_error(e, hashes.error().code, hashes.error().message);
        e.inclusion_proof = std::move(*hashes);
    }
    return e;
}

Result<std::vector<Entry>> parse_entries(const json& bundle, const char* name, bool erasure) {
    const json* list = member(bundle, name);
    if (list == nullptr && erasure) return std::vector<Entry>{};  // a bundle of a subject never erased
    if (list == nullptr || !list->is_array())
        return bad_bundle(std::string("the bundle has no \"") + name + "\" array");
    std::vector<Entry> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto e = parse_entry((*list)[i], i, erasure);
        if (!e) return e.error();
        out.push_back(std::move(*e));
    }
    return out;
}

// The kid only picks the key; the signature alone decides.
Status check_signature(const Entry& e, const KeyMap& keys) {
    const std::string kid = string_member(e.parsed.header, "kid").value_or("");
    const auto key = keys.find(kid);
    if (key == keys.end()) return entry_error(e, "verify.unknown_kid", "no key " + kid + " in the bundle's JWKS");
    if (!ed25519_verify(key->second, e.parsed.signing_input, e.parsed.signature))
        return entry_error(e, "verify.signature_invalid", "the Ed25519 signature does not verify with key " + kid);
    return Unit{};
}

// The unsigned bundle fields must say what the signed payload says, so that
// the log index used for the inclusion proof is the one the server signed.
Status check_payload_facts(const Entry& e, const json& bundle) {
    const json& p = e.parsed.payload;
    if (string_member(p, "receipt_id") != e.id || int_member(p, "log_index") != e.log_index)
        return entry_error(e, "verify.payload_mismatch", "receipt_id or log_index differ from the signed payload");
    if (string_member(p, "site") != string_member(bundle, "site"))
        return entry_error(e, "verify.payload_mismatch", "the payload's site is not the bundle's");
    if (string_member(p, "subject") != string_member(bundle, "subject"))
        return entry_error(e, "verify.payload_mismatch", "the payload's subject is not the bundle's");
    return Unit{};
}

// The text in the bundle is the text the person was shown, because its hash
// (recomputed here, not taken from the bundle) is in the signed payload.
Status check_notice(const Entry& e, const json& bundle) {
    const json* named = member(e.parsed.payload, "notice");
    const auto version = named ? int_member(*named, "version") : std::nullopt;
    const auto signed_hash = named ? string_member(*named, "hash") : std::nullopt;
    if (!version || !signed_hash) return entry_error(e, "verify.notice_hash_mismatch", "the payload names no notice");
    const json* notices = member(bundle, "notices");
    const json* entry = notices ? member(*notices, std::to_string(*version).c_str()) : nullptr;
    const auto text = entry ? string_member(*entry, "canonical_json") : std::nullopt;
    if (!text)
        return entry_error(e, "verify.notice_missing", "the bundle lacks notice version " + std::to_string(*version));
    auto notice = parse_notice_text(*text);
    if (!notice)
        return entry_error(e, "verify.notice_hash_mismatch",
                           "notice version " + std::to_string(*version) + " does not parse: " + notice.error().code);
    const std::string computed = notice_content_hash(*notice);
    if (computed != *signed_hash || string_member(*entry, "hash") != *signed_hash)
        return entry_error(e, "verify.notice_hash_mismatch",
                           "notice version " + std::to_string(*version) + " hashes to " + computed +
                               ", the receipt names " + *signed_hash);
    if (string_member(*named, "id") != notice->notice_id)
        return entry_error(e, "verify.notice_hash_mismatch", "the notice id differs from the receipt's");
    return Unit{};
}

// Each receipt names its predecessor's hash, so a dropped, inserted or
// reordered receipt of this subject breaks the chain. (Dropping the newest
// receipts leaves a valid prefix: only a held receipt or the log shows that.)
// Order is checked first, so a swap is named as such, not as a chain break.
// After an erasure the subject's next receipt starts a new chain: nothing
// erased may be named by what stays.
Status check_chain(const std::vector<Entry>& receipts) {
    for (std::size_t i = 1; i < receipts.size(); ++i)
        if (receipts[i].log_index <= receipts[i - 1].log_index)
            return entry_error(receipts[i], "verify.order_invalid",
                               "comes after log index " + std::to_string(receipts[i - 1].log_index) +
                                   ": receipts must be in log order");
    for (std::size_t i = 0; i < receipts.size(); ++i) {
        const Entry& r = receipts[i];
        const std::string expected = i == 0 ? std::string() : receipt_hash(receipts[i - 1].jws);
        const std::string prev = string_member(r.parsed.payload, "prev").value_or("");
        if (prev != expected)
            return entry_error(r, "verify.chain_broken",
                               "prev is \"" + prev + "\" but the receipt before it hashes to \"" + expected +
                                   "\": a receipt is missing or reordered");
    }
    return Unit{};
}

// An erasure receipt: signed, its payload well formed, naming itself and this site.
Result<Erasure> check_erasure_entry(Entry entry, const KeyMap& keys, const json& bundle) {
    if (auto s = check_signature(entry, keys); !s) return s.error();
    auto contents = read_erasure_payload(entry.parsed.payload);
    if (!contents)
        return entry_error(entry, "verify.erasure_invalid", contents.error().code + ": " + contents.error().message);
    if (contents->facts.erasure_id != entry.id || contents->facts.log_index != entry.log_index)
        return entry_error(entry, "verify.payload_mismatch", "erasure_id or log_index differ from the signed payload");
    if (string_member(bundle, "site") != contents->facts.site_id)
        return entry_error(entry, "verify.payload_mismatch", "the erasure's site is not the bundle's");
    return Erasure{std::move(entry), std::move(*contents)};
}

const ErasedEntry* find_erased(const std::vector<Erasure>& erasures, std::int64_t log_index) {
    for (const auto& e : erasures)
        for (const auto& erased : e.contents.erased)
            if (erased.log_index == log_index) return &erased;
    return nullptr;
}

// Step 6 for one entry: the leaf is the JWS text, so the log holds exactly these bytes.
Status check_inclusion(const Entry& e, const checkpoint::Note& note) {
    if (e.log_index < 0 || e.log_index >= note.body.tree_size)
        return entry_error(e, "verify.inclusion_invalid",
                           "not covered by the checkpoint (tree size " + std::to_string(note.body.tree_size) + ")");
    const merkle::Hash leaf = merkle::leaf_hash(e.jws);
    auto ok = merkle::verify_inclusion(static_cast<std::uint64_t>(e.log_index),
                                       static_cast<std::uint64_t>(note.body.tree_size), Bytes(leaf.begin(), leaf.end()),
                                       e.inclusion_proof, Bytes(note.body.root.begin(), note.body.root.end()));
    if (!ok) return entry_error(e, "verify.inclusion_invalid", ok.error().code + ": " + ok.error().message);
    return Unit{};
}

// The key name is the log's origin; the key is whichever JWKS key the note's
// signature line names by key hash.
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

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Runs the checks in order; each passed check adds one line.
class Verifier {
public:
    explicit Verifier(const Inputs& in) : in_(in), bundle_(in.bundle) {}

    Result<Report> run() {
        if (string_member(bundle_, "bundle") != std::string(kFormat) || !string_member(bundle_, "site") ||
            !string_member(bundle_, "subject"))
            return bad_bundle("not a consent-proof-bundle/1 with site and subject");
        if (in_.older_checkpoint.empty() != in_.consistency.is_null())
            return make_error("verify.bad_proof",
                              "an older checkpoint needs its consistency proof, and the other way round");
        for (auto step : {&Verifier::load, &Verifier::receipts_checks, &Verifier::erasure_checks,
                          &Verifier::held_checks, &Verifier::log_checks, &Verifier::consistency})
            if (auto s = (this->*step)(); !s) return s.error();
        report_.receipts = receipts_.size();
        return std::move(report_);
    }

private:
    Status load() {
        auto keys = parse_keys(bundle_);
        if (!keys) return keys.error();
        keys_ = std::move(*keys);
        auto receipts = parse_entries(bundle_, "receipts", false);
        if (!receipts) return receipts.error();
        receipts_ = std::move(*receipts);
        return Unit{};
    }

    Status receipts_checks() {
        for (const auto& r : receipts_)
            if (auto s = check_signature(r, keys_); !s) return s;
        lines().push_back("signatures: " + plural(receipts_.size(), "receipt", "receipts") +
                          " signed by the bundle's keys");
        for (const auto& r : receipts_) {
            if (auto s = check_payload_facts(r, bundle_); !s) return s;
            if (auto s = check_notice(r, bundle_); !s) return s;
        }
        lines().push_back("notices: every receipt's notice text hashes to the hash it names");
        if (auto s = check_chain(receipts_); !s) return s;
        lines().push_back("chain: receipts in log order, each naming the one before");
        return Unit{};
    }

    // "erased" says whether the subject was erased; the erasure receipts say what.
    Status erasure_checks() {
        auto entries = parse_entries(bundle_, "erasures", true);
        if (!entries) return entries.error();
        const json* flag = member(bundle_, "erased");
        if (flag != nullptr && !flag->is_boolean()) return bad_bundle("\"erased\" is not true or false");
        const bool says_erased = flag != nullptr && flag->get<bool>();
        if (says_erased != !entries->empty())
            return bad_bundle(says_erased ? "the bundle says erased but carries no erasure receipt"
                                          : "the bundle carries erasure receipts but does not say erased");
        for (auto& entry : *entries) {
            auto erasure = check_erasure_entry(std::move(entry), keys_, bundle_);
            if (!erasure) return erasure.error();
            report_.erased += erasure->contents.erased.size();
            erasures_.push_back(std::move(*erasure));
        }
        report_.erasures = erasures_.size();
        // What an erasure removed cannot still stand in the bundle.
        for (const auto& r : receipts_)
            if (find_erased(erasures_, r.log_index) != nullptr)
                return entry_error(r, "verify.erasure_mismatch", "an erasure receipt of the bundle says it is erased");
        if (!erasures_.empty())
            lines().push_back(
                "erasures: " +
                plural(erasures_.size(), "signed erasure receipt names ", "signed erasure receipts name ") +
                plural(report_.erased, "erased receipt", "erased receipts") +
                " of this subject; none of them is in the bundle");
        return Unit{};
    }

    // A bundle can leave out a subject's newest receipts and still chain, so a
    // receipt the subject holds, validly signed, must be in it, or erased: named
    // by an erasure receipt with its index, its very leaf hash and the residue
    // the statistics keep (its time, method and purpose states).
    Status held_checks() {
        for (const auto& text : in_.held) {
            Entry held;
            held.jws = text;
            auto parsed = parse_compact_jws(text);
            if (!parsed) return make_error("verify.jws_malformed", "a held receipt: " + parsed.error().message);
            held.parsed = std::move(*parsed);
            held.id = string_member(held.parsed.payload, "receipt_id").value_or("?");
            held.log_index = int_member(held.parsed.payload, "log_index").value_or(-1);
            if (auto s = check_signature(held, keys_); !s) return s;
            ++report_.held;
            const bool present =
                std::any_of(receipts_.begin(), receipts_.end(), [&](const Entry& r) { return r.jws == held.jws; });
            if (present) continue;
            const ErasedEntry* erased = find_erased(erasures_, held.log_index);
            if (erased == nullptr)
                return entry_error(held, "verify.receipt_missing",
                                   "the bundle leaves out this receipt, which the subject holds signed");
            if (auto s = check_payload_facts(held, bundle_); !s) return s;
            auto residue = erased_entry(held.parsed, held.jws);
            if (!residue || residue->leaf != erased->leaf || residue->iat != erased->iat ||
                residue->method != erased->method || residue->purposes != erased->purposes)
                return entry_error(held, "verify.erasure_mismatch",
                                   "the erasure receipt naming its index names another leaf hash or residue");
            ++report_.held_erased;
        }
        if (in_.held.empty()) return Unit{};
        lines().push_back(report_.held_erased == 0
                              ? std::string("held: every receipt the subject kept is in the bundle")
                              : "held: every receipt the subject kept is in the bundle or erased (" +
                                    std::to_string(report_.held_erased) +
                                    " named with their leaf hash by an "
                                    "erasure receipt)");
        return Unit{};
    }

    Status log_checks() {
        const json* log = member(bundle_, "log");
        const auto origin = log ? string_member(*log, "origin") : std::nullopt;
        const auto text = log ? string_member(*log, "checkpoint") : std::nullopt;
        if (!origin || !text) {
            if (receipts_.empty() && erasures_.empty()) return Unit{};
            return make_error("verify.checkpoint_missing", "the bundle has receipts but no log checkpoint");
        }
        origin_ = *origin;
        auto note = verified_note(*text, origin_, keys_, "the bundle's checkpoint");
        if (!note) return note.error();
        note_ = std::move(*note);
        report_.tree_size = note_->body.tree_size;
        lines().push_back("checkpoint: " + origin_ + " tree size " + std::to_string(note_->body.tree_size) + " signed");
        for (const auto& r : receipts_)
            if (auto s = check_inclusion(r, *note_); !s) return s;
        for (const auto& e : erasures_)
            if (auto s = check_inclusion(e.entry, *note_); !s) return s;
        lines().push_back(erasures_.empty()
                              ? "inclusion: every receipt is in the log at its index"
                              : "inclusion: every receipt and erasure receipt is in the log at its index");
        return Unit{};
    }

    // The newer tree extends the older one, so nothing the old checkpoint
    // covered was rewritten or removed (an erasure removes bytes, never leaves).
    Status consistency() {
        if (in_.older_checkpoint.empty()) return Unit{};
        if (!note_) return make_error("verify.checkpoint_missing", "the bundle has no checkpoint to compare with");
        auto old_note = verified_note(in_.older_checkpoint, origin_, keys_, "the older checkpoint");
        if (!old_note) return old_note.error();
        const auto from = int_member(in_.consistency, "from");
        const auto to = int_member(in_.consistency, "to");
        const json* proof = member(in_.consistency, "proof");
        if (!from || !to || proof == nullptr)
            return make_error("verify.bad_proof", "the consistency proof needs from, to and proof");
        if (*from != old_note->body.tree_size || *to != note_->body.tree_size)
            return make_error("verify.consistency_invalid", "the proof is from " + std::to_string(*from) + " to " +
                                                                std::to_string(*to) + ", the checkpoints are " +
                                                                std::to_string(old_note->body.tree_size) + " and " +
                                                                std::to_string(note_->body.tree_size));
        auto hashes = decode_hashes(*proof, "the consistency proof");
        if (!hashes) return hashes.error();
        const auto& r1 = old_note->body.root;
        const auto& r2 = note_->body.root;
        auto ok = merkle::verify_consistency(static_cast<std::uint64_t>(*from), static_cast<std::uint64_t>(*to),
                                             Bytes(r1.begin(), r1.end()), Bytes(r2.begin(), r2.end()), *hashes);
        if (!ok) return make_error("verify.consistency_invalid", ok.error().code + ": " + ok.error().message);
        lines().push_back("consistency: tree size " + std::to_string(old_note->body.tree_size) +
                          " is a prefix of tree size " + std::to_string(note_->body.tree_size));
        return Unit{};
    }

    std::vector<std::string>& lines() { return report_.lines; }

    const Inputs& in_;
    const json& bundle_;
    KeyMap keys_;
    std::vector<Entry> receipts_;
    std::vector<Erasure> erasures_;
    std::string origin_;
    std::optional<checkpoint::Note> note_;
    Report report_;
};

}  // namespace

Result<Report> verify(const Inputs& inputs) { return Verifier(inputs).run(); }

std::string held_receipt_text(std::string_view file_text) {
    std::string jws(file_text);
    auto as_json = parse_json_strict(jws);
    if (as_json && as_json->is_object()) jws = string_member(*as_json, "receipt").value_or("");
    while (!jws.empty() && (jws.back() == '\n' || jws.back() == '\r' || jws.back() == ' ')) jws.pop_back();
    return jws;
}

}  // namespace consent::bundle
