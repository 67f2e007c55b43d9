// The storage interface of consentd. One conformance suite
// (tests/server/receipt_store_test.cpp) runs against every implementation.
//
// Rules every implementation keeps:
// - Receipts are append-only: no method updates or deletes one, and the schema
//   refuses it (triggers/rules), whoever connects.
// - append() returns only after the receipt, the subject's current state and the
//   log position are durably committed in one transaction. Concurrent appends
//   may share one commit (group commit); none is acknowledged before it.
// - The same (site, decision_id) appended twice yields the first receipt again
//   (replayed = true), never a second receipt, but only when the second is a
//   retry of the same decision (consent::is_retry_of); any other decision under
//   a used id is refused with decision.id_conflict, writes nothing and tells
//   nothing of the first receipt.
// - current state equals a rebuild from the receipts (rebuild_check()).
// - Every read can fail, and says so: a lookup by key that finds nothing is
//   storage.not_found; a fault of the store is storage.unavailable (busy,
//   locked, full, unreachable: worth retrying) or another storage.* code. A
//   read never answers "nothing" because it could not look: a consent check
//   would deny for the wrong reason, an export would claim nothing was stored,
//   and the banner would drop a decision it should send again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"

namespace consent::server {

inline bool is_not_found(const Error& error) { return error.code == "storage.not_found"; }

struct Site {
    std::string site_id;
    std::vector<std::string> allowed_origins;  // CORS allowlist of the public endpoints
    std::int64_t created_at = 0;
    // Ed25519 public keys (base64url, 32 bytes) of the site's backend, which
    // signs subject tokens for the visitors it knows (DESIGN.md "Subjects and trust").
    std::vector<std::string> subject_token_keys;
};

struct StoredNotice {
    std::string site_id;
    Notice notice;
    std::string content_hash;    // notice_content_hash(notice)
    std::string canonical_json;  // RFC 8785 of notice_to_json: the exact text shown
    std::int64_t published_at = 0;
};

struct ApiKeyRecord {
    std::string key_id;  // public part, shown in listings
    std::string site_id;
    std::string key_hash;  // hex SHA-256 of the secret; the secret itself is never stored
    std::int64_t created_at = 0;
    std::optional<std::int64_t> revoked_at;
    // The backend this key speaks for ("" = any backend of the site): its
    // acknowledgements carry this name and no other, and while the key lives
    // the operator view lists the backend, acknowledged or not (issue #15).
    std::string backend;
};

struct StoredReceipt {
    std::int64_t log_index = 0;  // 0-based position in the deployment's log, in commit order
    std::string receipt_id;
    std::string site_id;
    std::string subject_id;
    std::string decision_id;
    std::int64_t server_time = 0;
    std::string jws;      // compact JWS, exactly as handed out
    std::string payload;  // its canonical JSON payload
    std::string method;   // for event streams without re-parsing
};

// What the store knows when a receipt takes its place in the log; the seal
// callback turns it into the signed receipt (it runs inside the commit, in log order).
struct ReceiptSlot {
    std::int64_t log_index = 0;
    std::int64_t server_time = 0;
    std::string receipt_id;             // AppendRequest::receipt_id
    std::string previous_receipt_hash;  // hex SHA-256 of the subject's previous JWS, "" if none
};

struct SealedReceipt {
    std::string jws;
    std::string payload;
};

using SealFunction = std::function<Result<SealedReceipt>(const ReceiptSlot&)>;

// What an erasure receipt erases (issue #13, docs/erasure.md), written in the
// same transaction as the erasure receipt itself.
struct ErasureOrder {
    std::string subject_id;                 // whose receipts (each named one must be this subject's)
    std::vector<std::int64_t> log_indices;  // in log order
    std::vector<std::string> residues;      // per index: what its row keeps (canonical erased_entry_json)
    std::string subject_tag;                // keyed tag of the subject (erased_subjects), never the id
};

struct AppendRequest {
    std::string site_id;
    std::string receipt_id;  // made by the caller (random_id), used unless the decision is a replay
    Decision decision;
    SealFunction seal;
    // Set only by ReceiptStore::erase: this receipt is an erasure receipt
    // (decision.subject_id is kErasureSubject, decision.purposes empty).
    // (A default member initializer: aggregate initializations that stop at seal stay warning-free.)
    std::optional<ErasureOrder> erasure = std::nullopt;
};

// A signed tree head of the receipt log (RFC 9162 §4.10 in spirit; the text is a
// C2SP signed-note checkpoint, see core/include/consent/log/checkpoint.hpp).
struct Checkpoint {
    std::int64_t tree_size = 0;
    merkle::Hash root{};
    std::int64_t timestamp = 0;
    std::string note;  // the signed note text, exactly as served
};

// Signs the checkpoint for a new tree head: returns the note text. Called by the
// store inside the commit of every batch that appended receipts, in log order.
using CheckpointSigner =
    std::function<Result<std::string>(std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp)>;

// A place in one site's receipts ordered by (server_time, log_index): reports
// page through a time range with it. {since, -1} lies before every receipt at
// or after since; a page's last receipt is where the next page starts.
struct TimePosition {
    std::int64_t server_time = 0;
    std::int64_t log_index = -1;
};

// One subject's state as of a log index: what a snapshot page holds (issue #15).
struct SubjectSnapshot {
    std::string subject_id;
    SubjectState state;            // the core's fold of its receipts up to the index
    std::int64_t last_index = -1;  // the newest of those receipts
};

// Proof that processing stopped (issue #15): a backend, by the name it runs
// under, says it has applied a receipt (a withdrawal: it stopped processing).
// Kept once per (site, backend, receipt): the first time is the evidence.
struct Acknowledgement {
    std::string backend;
    std::string receipt_id;
    std::string subject_id;
    std::int64_t log_index = 0;        // the receipt's
    std::string key_id;                // the API key that sent it
    std::int64_t acknowledged_at = 0;  // server time of the first acknowledgement
    bool replayed = false;             // already recorded: this is the first one, unchanged
};

struct AcknowledgementRequest {
    std::string site_id;
    std::string backend;
    std::string key_id;
    std::vector<std::string> receipt_ids;
    std::int64_t now = 0;
};

// How far one backend of a site has acknowledged: the operator's view.
struct BackendPosition {
    std::string backend;
    std::int64_t last_index = -1;  // the newest receipt it acknowledged
    std::int64_t last_acknowledged_at = 0;
    std::int64_t acknowledgements = 0;
    bool registered = false;  // a live API key is bound to this backend name
};

// An erased receipt keeps its leaf (the Merkle nodes) and, in its row, only
// log_index, site_id, server_time, method and the residue as payload; its JWS is "".
inline bool is_erased(const StoredReceipt& r) { return r.jws.empty(); }
inline bool is_erasure_receipt(const StoredReceipt& r) { return r.subject_id == kErasureSubject; }

struct AppendOutcome {
    StoredReceipt receipt;
    bool replayed = false;  // the decision id was already recorded: this is that receipt
    Checkpoint checkpoint;  // a checkpoint whose tree includes the receipt
    // The receipt's inclusion proof in that checkpoint's tree, when the writer
    // made it from memory with the batch; empty: read it (inclusion_proof).
    std::vector<merkle::Hash> inclusion;
};

class ReceiptStore {
public:
    virtual ~ReceiptStore() = default;

    // Sites, notices and API keys (configuration, changed by consentctl and the publish route).
    virtual Status put_site(const Site& site) = 0;
    virtual Result<Site> site(const std::string& site_id) = 0;
    // Versions must be published in increasing order; an existing version is never replaced
    // (storage.notice_version_exists, storage.notice_version_order).
    virtual Status publish_notice(const StoredNotice& notice) = 0;
    virtual Result<StoredNotice> notice(const std::string& site_id, std::int64_t version) = 0;
    virtual Result<StoredNotice> current_notice(const std::string& site_id) = 0;
    virtual Result<std::vector<StoredNotice>> notices(const std::string& site_id) = 0;
    virtual Status put_api_key(const ApiKeyRecord& key) = 0;
    virtual Status revoke_api_key(const std::string& key_id, std::int64_t now) = 0;
    virtual Result<ApiKeyRecord> api_key(const std::string& key_id) = 0;

    // Receipts. Blocks until durable (or failed: then nothing of it was written).
    virtual Result<AppendOutcome> append(AppendRequest request) = 0;
    virtual Result<SubjectState> subject_state(const std::string& site_id, const std::string& subject_id) = 0;
    // The subject's decisions this store has received and not yet answered
    // (being signed or written), in the order received: checks let their
    // denials count at once (consent::with_pending_denials). Read it before
    // subject_state: a decision leaves this list only after its commit.
    virtual std::vector<Decision> pending_decisions(const std::string& site_id, const std::string& subject_id) = 0;
    virtual Result<std::vector<StoredReceipt>> subject_receipts(const std::string& site_id,
                                                                const std::string& subject_id) = 0;
    // Receipts of a site with log_index > after, oldest first, at most limit
    // (event streams): erased receipts are left out, erasure receipts
    // (is_erasure_receipt) are included, so a stream can tell its readers to forget.
    virtual Result<std::vector<StoredReceipt>> receipts_after(const std::string& site_id, std::int64_t after,
                                                              std::size_t limit) = 0;
    // Receipts of every site with log_index > after, in log order, at most
    // limit (audit, migration: the whole log page by page), erased receipts
    // (is_erased) and erasure receipts (is_erasure_receipt) included.
    virtual Result<std::vector<StoredReceipt>> log_receipts(std::int64_t after, std::size_t limit) = 0;
    // Receipts of a site after `after` in (server_time, log_index) order with
    // server_time < until, at most limit (reports: opt-in statistics). Erased
    // receipts are included (their payload is the residue the erasure signed),
    // erasure receipts are not.
    virtual Result<std::vector<StoredReceipt>> receipts_in_time(const std::string& site_id, TimePosition after,
                                                                std::int64_t until, std::size_t limit) = 0;
    virtual Result<std::int64_t> receipt_count() = 0;
    // Snapshots (issue #15): the newest log index among a site's receipts (-1
    // if none), and up to limit subjects after after_subject (byte order) with
    // their state as of index at: the fold of their receipts with log_index <= at
    // (erased receipts and erasure receipts are no subject's).
    virtual Result<std::int64_t> site_log_head(const std::string& site_id) = 0;
    virtual Result<std::vector<SubjectSnapshot>> states_at(const std::string& site_id, std::int64_t at,
                                                           const std::string& after_subject, std::size_t limit) = 0;

    // Acknowledgements (issue #15; sqlite_acknowledgements.cpp). acknowledge()
    // records all of the request's receipts or none: an id that is no receipt
    // of the site is storage.unknown_receipt. Acknowledging again answers the
    // first record (replayed = true); records are never changed or deleted.
    virtual Result<std::vector<Acknowledgement>> acknowledge(const AcknowledgementRequest& request) = 0;
    // A subject's acknowledgements in (log index, time, backend) order: its export.
    virtual Result<std::vector<Acknowledgement>> subject_acknowledgements(const std::string& site_id,
                                                                          const std::string& subject_id) = 0;
    // Every backend that acknowledged anything of the site, by name.
    virtual Result<std::vector<BackendPosition>> backend_positions(const std::string& site_id) = 0;
    // The log index of the site's newest withdrawal receipt (method withdraw
    // or server_withdraw), -1 if none: what every backend must have applied.
    virtual Result<std::int64_t> newest_withdrawal(const std::string& site_id) = 0;

    // The Merkle log (issue: tamper-evident receipt log). Every receipt is leaf
    // log_index, with leaf data = its compact JWS (RFC 9162 §2.1.1 leaf hash).
    // The store keeps the hashes of complete subtrees, written in the same
    // transaction as the receipt, so proofs take O(log n) reads, no rebuild.
    virtual void set_checkpoint_signer(CheckpointSigner signer) = 0;  // before the first append
    virtual Result<Checkpoint> latest_checkpoint() = 0;               // storage.not_found before the first
    virtual Result<Checkpoint> checkpoint_at(std::int64_t tree_size) = 0;
    // Errors: storage.bad_proof_request (sizes out of range, index >= size, size > log size).
    virtual Result<merkle::Hash> root_at(std::int64_t tree_size) = 0;
    virtual Result<std::vector<merkle::Hash>> inclusion_proof(std::int64_t leaf_index, std::int64_t tree_size) = 0;
    virtual Result<std::vector<merkle::Hash>> consistency_proof(std::int64_t from_size, std::int64_t to_size) = 0;

    // Erasure (issue #13, docs/erasure.md; SQLite: sqlite_erasure.cpp).
    // erase() appends request (an erasure receipt: request.erasure set, sealed
    // like any receipt, under subject kErasureSubject so erasure receipts chain)
    // and, in the same transaction, erases what request.erasure names: every
    // personal byte of those receipts goes (subject, receipt and decision ids,
    // JWS, chain hash, decision; their current state and acknowledgements),
    // their leaves and Merkle nodes stay, the row keeps its residue, and the
    // subject tag is kept with the erasure receipt's index. All or nothing; a
    // named receipt that is not an unerased receipt of that subject and site is
    // storage.erasure_conflict and nothing is written. Before it returns, the
    // store's files hold no erased byte (SQLite: secure_delete, and the WAL
    // checkpointed and truncated). Never a replay: the caller checks first.
    virtual Result<AppendOutcome> erase(AppendRequest request) = 0;
    // The erasure receipts that erased the subject with this tag, oldest first.
    virtual Result<std::vector<StoredReceipt>> subject_erasures(const std::string& site_id,
                                                                const std::string& subject_tag) = 0;
    // Retention (seconds a subject's receipts are kept after they stop being
    // in force); storage.not_found when the site has none.
    virtual Status set_retention(const std::string& site_id, std::int64_t keep_seconds) = 0;
    virtual Result<std::int64_t> retention(const std::string& site_id) = 0;
    // Every site with a policy, by site id: what consentd's schedule applies.
    virtual Result<std::vector<std::pair<std::string, std::int64_t>>> retention_policies() = 0;

    // The store's own audit, in one snapshot: every column of every receipt
    // says what its signed JWS says (storage.receipt_mismatch names the first
    // that does not); every subject's state, recomputed from the receipts with
    // the core's apply_decision, equals the stored current state (erased
    // receipts fold into no one's state; every erased row is named by an
    // erasure receipt that lists it with its leaf hash and residue, and every
    // leaf has its row: storage.receipt_missing otherwise)
    // (storage.state_mismatch names the first differing site, subject,
    // purpose); the Merkle tree and checkpoints are those of the receipts.
    virtual Status rebuild_check() = 0;

    // Whether a check's key and state may be found in memory (SqliteStore's
    // read caches): only then does consentd try checks on its connection loop
    // (storage/memory_only.hpp); a store that always reads would refuse each try.
    virtual bool keeps_hot_reads_in_memory() const { return false; }
};

}  // namespace consent::server
