#include "storage/sqlite_log_writer.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_rows.hpp"

namespace consent::server::sqlite {
namespace {

void fail_all(GroupCommitter::Batch& batch, const Error& error) {
    for (auto& pending : batch) pending.outcome = error;
}

// A batch that failed because the file was busy, full or unwritable can be
// sent again and succeed: it stays storage.unavailable (503, Retry-After).
Error commit_failed(const Error& cause) {
    const bool retryable = cause.code == "storage.unavailable";
    return make_error(retryable ? "storage.unavailable" : "storage.commit_failed",
                      "the batch was not committed: " + cause.message);
}

Error checkpoint_failed(const Error& cause) {
    return make_error("storage.checkpoint_failed", "the batch was not committed: its checkpoint could not be made: " +
                                                       cause.code + ": " + cause.message);
}

bool acknowledged(const PendingAppend& pending) { return pending.outcome && pending.outcome->ok(); }

// The seal is the caller's code (the signer); an exception from it must not
// take the committer thread down with the whole batch.
Result<SealedReceipt> call_seal(const SealFunction& seal, const ReceiptSlot& slot) {
    try {
        return seal(slot);
    } catch (const std::exception& e) {
        return make_error("storage.seal_failed", std::string("sealing the receipt failed: ") + e.what());
    } catch (...) {
        return make_error("storage.seal_failed", "sealing the receipt failed");
    }
}

StoredReceipt make_stored(const AppendRequest& request, const ReceiptSlot& slot, SealedReceipt sealed) {
    StoredReceipt r;
    r.log_index = slot.log_index;
    r.receipt_id = slot.receipt_id;
    r.site_id = request.site_id;
    r.subject_id = request.decision.subject_id;
    r.decision_id = request.decision.decision_id;
    r.server_time = slot.server_time;
    r.jws = std::move(sealed.jws);
    r.payload = std::move(sealed.payload);
    r.method = std::string(to_string(request.decision.method));
    return r;
}

// The checkpoint signer is the caller's code too (the log key).
Result<std::string> call_signer(const CheckpointSigner& signer, const Checkpoint& checkpoint) {
    try {
        return signer(checkpoint.tree_size, checkpoint.root, checkpoint.timestamp);
    } catch (const std::exception& e) {
        return make_error("storage.checkpoint_failed", std::string("signing the checkpoint failed: ") + e.what());
    } catch (...) {
        return make_error("storage.checkpoint_failed", "signing the checkpoint failed");
    }
}

// The decision as recorded with the receipt of (site, decision_id): the
// receipts.decision column, RFC 8785 canonical JSON of decision_to_json.
Result<Decision> recorded_decision(Connection& connection, const std::string& site_id, const std::string& decision_id) {
    auto statement = connection.prepare("SELECT decision FROM receipts WHERE site_id = ?1 AND decision_id = ?2");
    if (!statement) return statement.error();
    auto row = statement.value().bind(1, site_id).bind(2, decision_id).step();
    if (!row) return row.error();
    if (!*row) return make_error("storage.corrupt_row", "a receipt vanished while it was read");
    auto json = parse_json_strict(statement.value().text(0));
    if (!json) return make_error("storage.corrupt_row", "a recorded decision is not JSON");
    auto decision = parse_decision(*json);
    if (!decision) return make_error("storage.corrupt_row", "a recorded decision does not read back");
    return decision;
}

// Deliberately says nothing of the first receipt: not its subject, choices,
// method or id (the caller may be someone else who learnt or guessed the id).
Error id_conflict() {
    return make_error("decision.id_conflict",
                      "this decision id was already used for another decision: send this one under a new id",
                      "/decision_id");
}

Result<bool> exists(Connection& connection, const char* sql, const std::string& key) {
    auto statement = connection.prepare(sql);
    if (!statement) return statement.error();
    return statement.value().bind(1, key).step();
}

}  // namespace

LogWriter::LogWriter(std::unique_ptr<Connection> connection, std::function<std::int64_t()> clock)
    : connection_(std::move(connection)), clock_(std::move(clock)) {}

void LogWriter::commit_batch(GroupCommitter::Batch& batch) {
    auto transaction = Transaction::begin(*connection_, Transaction::Mode::immediate);
    if (!transaction) return fail_all(batch, commit_failed(transaction.error()));
    // Read inside the write lock: the log continues where the file ends.
    auto next = log_size(*connection_);
    if (!next) return fail_all(batch, commit_failed(next.error()));
    next_index_ = *next;
    for (auto& pending : batch) {
        pending.outcome = append_one(pending);
        // After an automatic rollback, later statements would each commit on
        // their own and earlier "ok" outcomes would be lost: stop the batch.
        if (!connection_->in_transaction()) {
            // commit_failed keeps a retryable cause (a full or busy file) retryable.
            const Error cause = pending.outcome->ok()
                                    ? make_error("storage.sqlite_error", "SQLite rolled the transaction back")
                                    : pending.outcome->error();
            return fail_all(batch, commit_failed(cause));
        }
    }
    // Still inside the transaction: without its checkpoint, no receipt of the
    // batch is acknowledged (the transaction rolls back as it goes).
    auto checkpointed = attach_checkpoint(batch);
    if (!checkpointed) return fail_all(batch, checkpoint_failed(checkpointed.error()));
    auto committed = transaction.value().commit();
    if (!committed) return fail_all(batch, commit_failed(committed.error()));  // the transaction rolls back
    commits_.fetch_add(1, std::memory_order_relaxed);
}

Result<AppendOutcome> LogWriter::append_one(const PendingAppend& pending) {
    const AppendRequest& request = pending.request;
    // Earlier requests of this batch are visible here: same transaction.
    auto existing = find_receipt_by_decision(*connection_, request.site_id, request.decision.decision_id);
    if (!existing) return existing.error();
    if (existing.value()) {
        auto recorded = recorded_decision(*connection_, request.site_id, request.decision.decision_id);
        if (!recorded) return recorded.error();
        if (!is_retry_of(*recorded, request.decision)) return id_conflict();
        return AppendOutcome{std::move(*existing.value()), true, {}};
    }
    auto checked = check_request(request);
    if (!checked) return checked.error();
    auto slot = next_slot(request);
    if (!slot) return slot.error();
    auto sealed = call_seal(request.seal, *slot);
    if (!sealed) return sealed.error();
    StoredReceipt receipt = make_stored(request, *slot, std::move(sealed.value()));
    auto written = write(request, receipt, *slot, pending.decision_json);
    if (!written) return written.error();
    ++next_index_;  // only a written receipt takes a position: the log has no gaps
    return AppendOutcome{std::move(receipt), false, {}};
}

void LogWriter::set_checkpoint_signer(CheckpointSigner signer) {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    signer_ = std::move(signer);
}

CheckpointSigner LogWriter::current_signer() const {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    return signer_;
}

// Every acknowledged outcome gets a checkpoint whose tree holds its receipt:
// the batch's new one, or for replays alone the latest (a replayed receipt is
// already in an earlier tree).
Status LogWriter::attach_checkpoint(GroupCommitter::Batch& batch) {
    if (std::none_of(batch.begin(), batch.end(), acknowledged)) return Unit{};
    auto checkpoint = checkpoint_for_batch();
    if (!checkpoint) return checkpoint.error();
    if (!*checkpoint) return Unit{};
    for (auto& pending : batch) {
        if (!acknowledged(pending)) continue;
        AppendOutcome& outcome = pending.outcome->value();
        // Without a signer, the latest checkpoint may predate the receipt: then it gets none.
        if (outcome.receipt.log_index < (*checkpoint)->tree_size) outcome.checkpoint = **checkpoint;
    }
    return Unit{};
}

// A new tree head is signed whenever the log is larger than the latest
// checkpoint: after every batch that appended, and after replays alone only
// when receipts were appended while no signer was set.
Result<std::optional<Checkpoint>> LogWriter::checkpoint_for_batch() {
    auto latest = latest_checkpoint(*connection_);
    if (!latest) return latest.error();
    const std::int64_t signed_size = *latest ? (*latest)->tree_size : 0;
    const CheckpointSigner signer = current_signer();
    if (!signer || next_index_ <= signed_size) return latest;
    auto fresh = sign_checkpoint(signer);
    if (!fresh) return fresh.error();
    return std::optional<Checkpoint>(std::move(fresh.value()));
}

// The root is read back from the nodes stored in this transaction, never kept
// in memory beside them: what is signed is the very tree that proofs are built
// from, so two checkpoints can only disagree if the file itself was changed.
Result<Checkpoint> LogWriter::sign_checkpoint(const CheckpointSigner& signer) {
    auto root = stored_root(*connection_, next_index_);
    if (!root) return root.error();
    Checkpoint checkpoint{next_index_, *root, clock_(), {}};
    auto note = call_signer(signer, checkpoint);
    if (!note) return note.error();
    checkpoint.note = std::move(note.value());
    auto inserted = insert_checkpoint(*connection_, checkpoint);
    if (!inserted) return inserted.error();
    return checkpoint;
}

Status LogWriter::check_request(const AppendRequest& request) {
    if (!request.seal) return make_error("storage.invalid_request", "the append request has no seal function");
    auto site = exists(*connection_, "SELECT 1 FROM sites WHERE site_id = ?1", request.site_id);
    if (!site) return site.error();
    if (!*site) return make_error("storage.unknown_site", "no such site");
    auto taken = exists(*connection_, "SELECT 1 FROM receipts WHERE receipt_id = ?1", request.receipt_id);
    if (!taken) return taken.error();
    if (*taken) return make_error("storage.receipt_id_exists", "the receipt id is already used");
    return Unit{};
}

Result<ReceiptSlot> LogWriter::next_slot(const AppendRequest& request) {
    auto previous = previous_receipt_hash(request.site_id, request.decision.subject_id);
    if (!previous) return previous.error();
    return ReceiptSlot{next_index_, clock_(), request.receipt_id, std::move(previous.value())};
}

Result<std::string> LogWriter::previous_receipt_hash(const std::string& site_id, const std::string& subject_id) {
    auto statement = connection_->prepare(
        "SELECT jws FROM receipts WHERE site_id = ?1 AND subject_id = ?2 ORDER BY log_index DESC LIMIT 1");
    if (!statement) return statement.error();
    auto row = statement.value().bind(1, site_id).bind(2, subject_id).step();
    if (!row) return row.error();
    if (!*row) return std::string();
    // What consent::receipt_hash computes: hex SHA-256 of the compact JWS text.
    return hex_encode(sha256(statement.value().text(0)));
}

Status LogWriter::write(const AppendRequest& request, const StoredReceipt& receipt, const ReceiptSlot& slot,
                        const std::string& decision_json) {
    auto savepoint = Savepoint::begin(*connection_);
    if (!savepoint) return savepoint.error();
    auto inserted = insert_receipt(receipt, slot, decision_json);
    if (!inserted) return inserted.error();  // the savepoint rolls back as it goes
    auto in_tree = append_to_tree(receipt);
    if (!in_tree) return in_tree.error();
    auto updated = update_state(request.site_id, request.decision, receipt);
    if (!updated) return updated.error();
    return savepoint.value().release();
}

Status LogWriter::insert_receipt(const StoredReceipt& r, const ReceiptSlot& slot, const std::string& decision_json) {
    auto statement = connection_->prepare(
        "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
        "method, prev_hash, decision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, r.log_index)
        .bind(2, r.receipt_id)
        .bind(3, r.site_id)
        .bind(4, r.subject_id)
        .bind(5, r.decision_id)
        .bind(6, r.server_time)
        .bind(7, r.jws)
        .bind(8, r.payload)
        .bind(9, r.method)
        .bind(10, slot.previous_receipt_hash)
        .bind(11, decision_json)
        .run();
}

// RFC 9162 §2.1.1: leaf data is the compact JWS, byte for byte as handed out,
// so anyone holding a receipt can recompute its leaf hash.
Status LogWriter::append_to_tree(const StoredReceipt& receipt) {
    return append_leaf(*connection_, receipt.log_index, merkle::leaf_hash(receipt.jws));
}

// The core folds the decision (apply_decision); this only stores the rows
// that changed, whatever the rule made of them.
Status LogWriter::update_state(const std::string& site_id, const Decision& decision, const StoredReceipt& receipt) {
    auto before = load_state(*connection_, site_id, decision.subject_id);
    if (!before) return before.error();
    SubjectState after = before.value();
    apply_decision(after, decision, receipt.server_time, receipt.receipt_id);
    for (const auto& [purpose, record] : after) {
        const auto old = before->find(purpose);
        if (old != before->end() && same_record(old->second, record)) continue;
        auto written = write_state_row(site_id, decision.subject_id, purpose, record);
        if (!written) return written.error();
    }
    for (const auto& entry : before.value()) {
        if (after.count(entry.first) != 0) continue;
        auto deleted = delete_state_row(site_id, decision.subject_id, entry.first);
        if (!deleted) return deleted.error();
    }
    return Unit{};
}

Status LogWriter::write_state_row(const std::string& site_id, const std::string& subject_id, const std::string& purpose,
                                  const PurposeRecord& record) {
    auto statement = connection_->prepare(
        "INSERT OR REPLACE INTO current_state (site_id, subject_id, purpose, state, method, notice_id, "
        "notice_version, decided_at, receipt_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, site_id)
        .bind(2, subject_id)
        .bind(3, purpose)
        .bind(4, to_string(record.state))
        .bind(5, to_string(record.method))
        .bind(6, record.notice_id)
        .bind(7, record.notice_version)
        .bind(8, record.decided_at)
        .bind(9, record.receipt_id)
        .run();
}

Status LogWriter::delete_state_row(const std::string& site_id, const std::string& subject_id,
                                   const std::string& purpose) {
    auto statement =
        connection_->prepare("DELETE FROM current_state WHERE site_id = ?1 AND subject_id = ?2 AND purpose = ?3");
    if (!statement) return statement.error();
    return statement.value().bind(1, site_id).bind(2, subject_id).bind(3, purpose).run();
}

}  // namespace consent::server::sqlite
