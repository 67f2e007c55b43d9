#include "cli/verify_command.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/proof_bundle.hpp"
#include "consent/log/receipt.hpp"

namespace consent::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 64;
constexpr int kExitDataErr = 65;
constexpr int kExitTempFail = 75;  // EX_TEMPFAIL
constexpr int kExitNoInput = 66;

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

// The files a verify names, read into what the core's verifier takes.
Result<bundle::Inputs> read_inputs(const std::string& bundle_path, const std::string& old_checkpoint_path,
                                   const std::string& consistency_path, const std::vector<std::string>& held_paths) {
    bundle::Inputs in;
    auto b = read_json(bundle_path);
    if (!b) return b.error();
    in.bundle = std::move(*b);
    if (!old_checkpoint_path.empty()) {
        auto note = read_text(old_checkpoint_path);
        if (!note) return note.error();
        auto proof = read_json(consistency_path);
        if (!proof) return proof.error();
        in.older_checkpoint = std::move(*note);
        in.consistency = std::move(*proof);
    }
    for (const auto& path : held_paths) {
        auto text = read_text(path);
        if (!text) return text.error();
        in.held.push_back(bundle::held_receipt_text(*text));
    }
    return in;
}

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
    auto inputs = read_inputs(bundle_path, old_checkpoint_path, consistency_path, held_receipts);
    if (!inputs) return failure(inputs.error());
    auto report = bundle::verify(*inputs);
    if (!report) return failure(report.error());
    std::string out;
    for (const auto& line : report->lines) out += line + "\n";
    out += "ok: " + std::to_string(report->receipts) + " receipts verified";
    if (report->erasures > 0)
        out += "; " + std::to_string(report->erased) + " erased, named by " + std::to_string(report->erasures) +
               " signed erasure receipts";
    return {0, out, {}};
}

// An erasure receipt's signature, by its kid, against the ring (issue #13).
Status verify_erasure_jws(const server::KeyRing& ring, const std::string& compact) {
    auto jws = parse_erasure_jws(compact);
    if (!jws) return jws.error();
    const auto named = jws->header.find("kid");
    const std::string kid = named != jws->header.end() && named->is_string() ? named->get<std::string>() : "";
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
