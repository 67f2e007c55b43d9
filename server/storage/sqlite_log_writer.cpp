#include "storage/sqlite_log_writer.hpp"

#include <algorithm>
#include <exception>
#include <unordered_map>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/merkle_spans.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_erasure.hpp"
#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_merkle_tiles.hpp"
#include "storage/sqlite_rows.hpp"

namespace consent::server::sqlite {
namespace {

constexpr int kReceiptColumns = 11;
constexpr int kNodeColumns = 3;
constexpr int kStateColumns = 9;
// Rows per INSERT: one statement per chunk saves the per-statement work of
// SQLite's VM for most of a batch; a few fixed shapes keep the statement cache small.
constexpr std::size_t kChunks[] = {32, 8, 1};

// "INSERT INTO ... VALUES (?, ...), (?, ...)" for `rows` rows of `columns` parameters.
std::string multi_row_insert(const char* head, int columns, std::size_t rows) {
    std::string row = "(";
    for (int c = 0; c < columns; ++c) row += c == 0 ? "?" : ", ?";
    row += ")";
    std::string sql = head;
    for (std::size_t r = 0; r < rows; ++r) sql += (r == 0 ? " VALUES " : ", ") + row;
    return sql;
}

// Inserts items [0, count) in chunks of the fixed sizes; bind_row(statement,
// first parameter index, item) binds one row.
template <class BindRow>
Status insert_rows(Connection& connection, const char* head, int columns, std::size_t count, BindRow bind_row) {
    std::size_t done = 0;
    for (const std::size_t chunk : kChunks) {
        if (count - done < chunk) continue;
        const std::string sql = multi_row_insert(head, columns, chunk);
        while (count - done >= chunk) {
            auto statement = connection.prepare(sql);
            if (!statement) return statement.error();
            for (std::size_t r = 0; r < chunk; ++r)
                bind_row(statement.value(), static_cast<int>(r) * columns + 1, done + r);
            auto inserted = statement.value().run();
            if (!inserted) return inserted;
            done += chunk;
        }
    }
    return Unit{};
}

// A batch that failed because the file was busy, full or unwritable can be
// sent again and succeed: it stays storage.unavailable (503, Retry-After).
Error commit_failed(const Error& cause) {
    const bool retryable = cause.code == "storage.unavailable" || cause.code == "storage.log_moved";
    // An erasure order its rows no longer match keeps its own code (nothing was erased).
    const bool keeps_code = retryable || cause.code == "storage.erasure_conflict";
    return make_error(keeps_code ? cause.code : "storage.commit_failed",
                      "the batch was not committed: " + cause.message);
}

Error checkpoint_failed(const Error& cause) {
    return make_error("storage.checkpoint_failed", "the batch was not committed: its checkpoint could not be made: " +
                                                       cause.code + ": " + cause.message);
}

// The checkpoint signer is the caller's code (the log key).
Result<std::string> call_signer(const CheckpointSigner& signer, const Checkpoint& checkpoint) {
    try {
        return signer(checkpoint.tree_size, checkpoint.root, checkpoint.timestamp);
    } catch (const std::exception& e) {
        return make_error("storage.checkpoint_failed", std::string("signing the checkpoint failed: ") + e.what());
    } catch (...) {
        return make_error("storage.checkpoint_failed", "signing the checkpoint failed");
    }
}

Status delete_state_row(Connection& connection, const std::string& site_id, const std::string& subject_id,
                        const std::string& purpose) {
    auto statement =
        connection.prepare("DELETE FROM current_state WHERE site_id = ?1 AND subject_id = ?2 AND purpose = ?3");
    if (!statement) return statement.error();
    return statement.value().bind(1, site_id).bind(2, subject_id).bind(3, purpose).run();
}

}  // namespace

LogWriter::LogWriter(std::unique_ptr<Connection> connection, std::function<std::int64_t()> clock, StateCache& states)
    : connection_(std::move(connection)), clock_(std::move(clock)), states_(states) {}

Result<std::int64_t> LogWriter::load_log() {
    auto snapshot = Transaction::begin(*connection_, Transaction::Mode::deferred);
    if (!snapshot) return snapshot.error();
    auto size = log_size(*connection_);
    if (!size) return size.error();
    auto frontier = load_frontier(*connection_, *size);
    if (!frontier) return frontier.error();
    auto latest = latest_checkpoint(*connection_);
    if (!latest) return latest.error();
    frontier_ = std::move(frontier.value());
    signed_size_ = *latest ? (*latest)->tree_size : 0;
    states_.clear();
    committed_size_ = *size;
    return *size;
}

Result<std::optional<Checkpoint>> LogWriter::write_batch(const std::vector<SealedAppend>& batch) {
    auto transaction = Transaction::begin(*connection_, Transaction::Mode::immediate);
    if (!transaction) return commit_failed(transaction.error());
    // Read inside the write lock: what this writer holds in memory must be the
    // file's own log, or its receipts would take indexes someone else took.
    auto size = log_size(*connection_);
    if (!size) return commit_failed(size.error());
    const auto expected = static_cast<std::int64_t>(frontier_.size());
    if (*size != expected || (!batch.empty() && batch.front().receipt->log_index != expected))
        return commit_failed(make_error("storage.log_moved", "the log in the file ends at " + std::to_string(*size) +
                                                                 ", not at " + std::to_string(expected) +
                                                                 ": another process wrote to it"));
    merkle::Frontier tree = frontier_;
    std::vector<FoldedState> folded;
    auto checkpoint = write_in_transaction(batch, tree, folded);
    if (!checkpoint) return checkpoint.error();
    // After an automatic rollback (a full disk, say) COMMIT would fail anyway;
    // this names the cause instead.
    if (!connection_->in_transaction())
        return commit_failed(make_error("storage.sqlite_error", "SQLite rolled the transaction back"));
    // Said before the COMMIT makes the receipts visible: the foreign-write
    // watch must never see the file's log longer than this writer's.
    committed_size_ = static_cast<std::int64_t>(tree.size());
    auto committed = transaction.value().commit();
    if (!committed) {
        committed_size_ = expected;
        return commit_failed(committed.error());  // the transaction rolls back
    }
    frontier_ = std::move(tree);
    if (*checkpoint) signed_size_ = (*checkpoint)->tree_size;
    publish_states(batch, folded);
    return checkpoint;
}

// Durable now, and nobody answered yet: a check that finds a decision no
// longer pending finds its state here. An erasure deleted and refolded its
// subject's rows (sqlite_erasure.cpp): that subject is read from the file again.
void LogWriter::publish_states(const std::vector<SealedAppend>& batch, std::vector<FoldedState>& folded) {
    for (FoldedState& f : folded) states_.put(subject_cache_key(*f.site_id, *f.subject_id), std::move(f.after));
    for (const auto& append : batch)
        if (append.request->erasure)
            states_.forget(subject_cache_key(append.request->site_id, append.request->erasure->subject_id));
}

Result<std::optional<Checkpoint>> LogWriter::write_in_transaction(const std::vector<SealedAppend>& batch,
                                                                  merkle::Frontier& tree,
                                                                  std::vector<FoldedState>& folded) {
    if (auto inserted = insert_receipts(batch); !inserted) return commit_failed(inserted.error());
    // RFC 9162 §2.1.1: leaf data is the compact JWS, byte for byte as handed
    // out, so anyone holding a receipt can recompute its leaf hash. Children
    // come before their parents, as the table's append-only trigger wants.
    std::vector<merkle::Node> nodes;
    nodes.reserve(batch.size() * 2 + 64);
    for (const auto& append : batch) {
        auto completed = tree.append(append.leaf_hash);
        nodes.insert(nodes.end(), completed.begin(), completed.end());
    }
    if (auto inserted = insert_nodes(nodes); !inserted) return commit_failed(inserted.error());
    const auto before = static_cast<std::int64_t>(frontier_.size());
    if (auto tiled = store_completed_tiles(*connection_, before, static_cast<std::int64_t>(tree.size())); !tiled)
        return commit_failed(tiled.error());
    if (auto updated = update_states(batch, folded); !updated) return commit_failed(updated.error());
    // An erasure receipt erases what it names in its own transaction (issue #13).
    for (const auto& append : batch)
        if (append.request->erasure)
            if (auto erased = apply_erasure(*connection_, append); !erased) return commit_failed(erased.error());
    // Without its checkpoint, no receipt of the batch is acknowledged.
    auto checkpoint = checkpoint_for(tree);
    if (!checkpoint) return checkpoint_failed(checkpoint.error());
    if (*checkpoint && (*checkpoint)->tree_size == static_cast<std::int64_t>(tree.size()))
        hand_out_proofs(batch, nodes, tree.size());
    return checkpoint;
}

// Each receipt's inclusion proof in the checkpoint just signed, from the edge
// the batch started on and the nodes it completed (merkle_spans.hpp): the
// answer carries it without reading a node back. Should the core refuse (it
// would be a bug), the proofs stay empty and are read from the file instead.
void LogWriter::hand_out_proofs(const std::vector<SealedAppend>& batch, const std::vector<merkle::Node>& nodes,
                                std::uint64_t size) const {
    auto proofs = merkle::appended_inclusion_proofs(frontier_, nodes, size);
    if (!proofs || proofs->size() != batch.size()) return;
    for (std::size_t i = 0; i < batch.size(); ++i)
        if (batch[i].inclusion != nullptr) *batch[i].inclusion = std::move((*proofs)[i]);
}

Status LogWriter::insert_receipts(const std::vector<SealedAppend>& batch) {
    return insert_rows(*connection_,
                       "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, "
                       "jws, payload, method, prev_hash, decision)",
                       kReceiptColumns, batch.size(), [&](Statement& s, int p, std::size_t i) {
                           const StoredReceipt& r = *batch[i].receipt;
                           s.bind(p, r.log_index)
                               .bind_unowned(p + 1, r.receipt_id)
                               .bind_unowned(p + 2, r.site_id)
                               .bind_unowned(p + 3, r.subject_id)
                               .bind_unowned(p + 4, r.decision_id)
                               .bind(p + 5, r.server_time)
                               .bind_unowned(p + 6, r.jws)
                               .bind_unowned(p + 7, r.payload)
                               .bind_unowned(p + 8, r.method)
                               .bind_unowned(p + 9, *batch[i].previous_receipt_hash)
                               .bind_unowned(p + 10, *batch[i].decision_json);
                       });
}

Status LogWriter::insert_nodes(const std::vector<merkle::Node>& nodes) {
    return insert_rows(*connection_, "INSERT INTO merkle_nodes (level, idx, hash)", kNodeColumns, nodes.size(),
                       [&](Statement& s, int p, std::size_t i) {
                           const merkle::Node& n = nodes[i];
                           s.bind(p, static_cast<std::int64_t>(n.level))
                               .bind(p + 1, static_cast<std::int64_t>(n.index))
                               .bind_blob(p + 2, n.hash.data(), n.hash.size());
                       });
}

// The core folds each decision (apply_decision), in log order: a subject with
// several receipts in the batch is folded on from where its previous one left
// it. Only the rows that differ from those stored before the batch are written,
// all of them in multi-row statements (one per chunk instead of one per row).
Status LogWriter::update_states(const std::vector<SealedAppend>& batch, std::vector<FoldedState>& folded) {
    std::unordered_map<std::string, std::size_t> by_subject;
    for (const auto& append : batch) {
        const AppendRequest& request = *append.request;
        const std::string& subject_id = request.decision.subject_id;
        const auto [found, fresh] = by_subject.emplace(subject_cache_key(request.site_id, subject_id), folded.size());
        if (fresh) {
            auto stored = state_before(request.site_id, subject_id);
            if (!stored) return stored.error();
            folded.push_back(FoldedState{&request.site_id, &subject_id, stored.value(), std::move(stored.value())});
        }
        apply_decision(folded[found->second].after, request.decision, append.receipt->server_time,
                       append.receipt->receipt_id);
    }
    struct Row {
        const FoldedState* subject;
        const std::string* purpose;
        const PurposeRecord* record;
    };
    std::vector<Row> rows;
    for (const FoldedState& f : folded) {
        for (const auto& [purpose, record] : f.after) {
            const auto old = f.before.find(purpose);
            if (old == f.before.end() || !same_record(old->second, record)) rows.push_back(Row{&f, &purpose, &record});
        }
        for (const auto& entry : f.before) {
            if (f.after.count(entry.first) != 0) continue;
            auto deleted = delete_state_row(*connection_, *f.site_id, *f.subject_id, entry.first);
            if (!deleted) return deleted.error();
        }
    }
    return insert_rows(*connection_,
                       "INSERT OR REPLACE INTO current_state (site_id, subject_id, purpose, state, method, notice_id, "
                       "notice_version, decided_at, receipt_id)",
                       kStateColumns, rows.size(), [&](Statement& s, int p, std::size_t i) {
                           const Row& row = rows[i];
                           s.bind_unowned(p, *row.subject->site_id)
                               .bind_unowned(p + 1, *row.subject->subject_id)
                               .bind_unowned(p + 2, *row.purpose)
                               .bind_unowned(p + 3, to_string(row.record->state))
                               .bind_unowned(p + 4, to_string(row.record->method))
                               .bind_unowned(p + 5, row.record->notice_id)
                               .bind(p + 6, row.record->notice_version)
                               .bind(p + 7, row.record->decided_at)
                               .bind_unowned(p + 8, row.record->receipt_id);
                       });
}

// The cache holds what the file holds: this batch checked, under the write
// lock, that the log ends where this writer left it, so no other process
// wrote a receipt (and no state changes without one) since the cache was last
// dropped (load_log); what readers filled in was read from committed data
// (read_cache.hpp says why it is never older than the writer's last put).
Result<SubjectState> LogWriter::state_before(const std::string& site_id, const std::string& subject_id) {
    StateCache::Ticket ticket;
    if (auto cached = states_.find(subject_cache_key(site_id, subject_id), &ticket)) return *cached;
    return load_state(*connection_, site_id, subject_id);
}

void LogWriter::set_checkpoint_signer(CheckpointSigner signer) {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    signer_ = std::move(signer);
}

CheckpointSigner LogWriter::current_signer() const {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    return signer_;
}

// A new tree head is signed whenever the tree is larger than the latest
// checkpoint. The root comes from the right edge in memory, which this very
// transaction's nodes were computed from, and which load_log() read back from
// the file: the signed tree is the one proofs are built from (rebuild_check
// recomputes every checkpoint's root from the stored nodes).
Result<std::optional<Checkpoint>> LogWriter::checkpoint_for(const merkle::Frontier& tree) {
    const CheckpointSigner signer = current_signer();
    const auto size = static_cast<std::int64_t>(tree.size());
    if (!signer) return std::optional<Checkpoint>();
    if (size <= signed_size_) {
        if (signed_size_ == 0) return std::optional<Checkpoint>();
        return latest_checkpoint(*connection_);
    }
    Checkpoint checkpoint{size, tree.root(), clock_(), {}};
    auto note = call_signer(signer, checkpoint);
    if (!note) return note.error();
    checkpoint.note = std::move(note.value());
    auto inserted = insert_checkpoint(*connection_, checkpoint);
    if (!inserted) return inserted.error();
    return std::optional<Checkpoint>(std::move(checkpoint));
}

}  // namespace consent::server::sqlite
