#include "storage/pg_log_writer.hpp"

#include <exception>
#include <map>
#include <utility>

#include "consent/consent/policy.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "storage/pg_checkpoints.hpp"
#include "storage/pg_erasure.hpp"
#include "storage/pg_merkle.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_schema.hpp"

namespace consent::server::pg {
namespace {

using SubjectKey = std::pair<std::string, std::string>;  // (site, subject)

// A batch that failed because the server was unreachable, or because another
// replica moved the log, can be sent again and succeed: the code stays
// retryable (503); anything else is storage.commit_failed.
Error commit_failed(const Error& cause) {
    const bool retryable = cause.code == "storage.unavailable" || cause.code == "storage.log_moved";
    // An erasure order its rows no longer match keeps its own code (nothing was erased).
    const bool keeps_code = retryable || cause.code == "storage.erasure_conflict";
    return make_error(keeps_code ? cause.code : "storage.commit_failed",
                      "the batch was not committed: " + cause.message);
}

Error log_moved(const std::string& why) {
    return make_error("storage.log_moved", "another replica appended to the log: " + why);
}

Error checkpoint_failed(const Error& cause) {
    return make_error("storage.checkpoint_failed", "the batch was not committed: its checkpoint could not be made: " +
                                                       cause.code + ": " + cause.message);
}

Result<std::string> call_signer(const CheckpointSigner& signer, const Checkpoint& checkpoint) {
    try {
        return signer(checkpoint.tree_size, checkpoint.root, checkpoint.timestamp);
    } catch (const std::exception& e) {
        return make_error("storage.checkpoint_failed", std::string("signing the checkpoint failed: ") + e.what());
    } catch (...) {
        return make_error("storage.checkpoint_failed", "signing the checkpoint failed");
    }
}

bool same_record(const PurposeRecord& a, const PurposeRecord& b) {
    return a.state == b.state && a.method == b.method && a.notice_id == b.notice_id &&
           a.notice_version == b.notice_version && a.decided_at == b.decided_at && a.receipt_id == b.receipt_id;
}

// The first receipt of each subject in the batch names the hash of the
// subject's latest stored receipt (or "" for none). Checked under the lock:
// a head loaded before another replica's commit is stale, and a chain is
// never committed broken, whatever raced.
Status check_chains(Connection& c, const std::vector<SealedAppend>& batch) {
    std::map<SubjectKey, const std::string*> firsts;
    for (const auto& a : batch)
        firsts.emplace(SubjectKey{a.receipt->site_id, a.receipt->subject_id}, a.previous_receipt_hash);
    std::vector<std::string> sites, subjects;
    for (const auto& entry : firsts) {
        sites.push_back(entry.first.first);
        subjects.push_back(entry.first.second);
    }
    auto rows = c.query(
        "SELECT w.site, w.subject, (SELECT r.jws FROM receipts r WHERE r.site_id = w.site AND r.subject_id = w.subject "
        "ORDER BY r.log_index DESC LIMIT 1) FROM unnest($1::text[], $2::text[]) AS w(site, subject)",
        {text_array(sites), text_array(subjects)});
    if (!rows) return rows.error();
    for (int r = 0; r < rows->size(); ++r) {
        const std::string head = rows->is_null(r, 2) ? std::string() : receipt_hash(rows->text(r, 2));
        const auto found = firsts.find(SubjectKey{rows->text(r, 0), rows->text(r, 1)});
        if (found == firsts.end() || *found->second != head) return log_moved("a subject's chain has a newer receipt");
    }
    return Unit{};
}

Status insert_receipts(Connection& c, const std::vector<SealedAppend>& batch) {
    std::vector<std::int64_t> indexes, times;
    std::vector<std::string> ids, sites, subjects, decision_ids, jws, payloads, methods, prevs, decisions;
    for (const auto& a : batch) {
        const StoredReceipt& r = *a.receipt;
        indexes.push_back(r.log_index);
        ids.push_back(r.receipt_id);
        sites.push_back(r.site_id);
        subjects.push_back(r.subject_id);
        decision_ids.push_back(r.decision_id);
        times.push_back(r.server_time);
        jws.push_back(r.jws);
        payloads.push_back(r.payload);
        methods.push_back(r.method);
        prevs.push_back(*a.previous_receipt_hash);
        decisions.push_back(*a.decision_json);
    }
    auto inserted = c.run(
        "INSERT INTO receipts (log_index, receipt_id, site_id, subject_id, decision_id, server_time, jws, payload, "
        "method, prev_hash, decision) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], "
        "$5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])",
        {int_array(indexes), text_array(ids), text_array(sites), text_array(subjects), text_array(decision_ids),
         int_array(times), text_array(jws), text_array(payloads), text_array(methods), text_array(prevs),
         text_array(decisions)});
    // The same decision id recorded meanwhile by another replica (a retry sent
    // there): the pipeline looks it up again and answers with that receipt.
    if (!inserted && is_unique_violation(inserted.error())) return log_moved("a decision id of the batch was recorded");
    return inserted;
}

// RFC 9162 §2.1.1: leaf data is the compact JWS, byte for byte as handed out.
// Children come before their parents, as the table's trigger wants.
Status insert_nodes(Connection& c, const std::vector<SealedAppend>& batch, merkle::Frontier& tree) {
    std::vector<std::int64_t> levels, indexes;
    std::vector<std::string> hashes;
    for (const auto& a : batch) {
        for (const merkle::Node& n : tree.append(a.leaf_hash)) {
            levels.push_back(static_cast<std::int64_t>(n.level));
            indexes.push_back(static_cast<std::int64_t>(n.index));
            hashes.push_back(hex_encode(n.hash.data(), n.hash.size()));
        }
    }
    return c.run(
        "INSERT INTO merkle_nodes (level, idx, hash) SELECT l, i, decode(h, 'hex') "
        "FROM unnest($1::integer[], $2::bigint[], $3::text[]) AS n(l, i, h)",
        {int_array(levels), int_array(indexes), text_array(hashes)});
}

// The batch's subjects' states, loaded in one query.
Result<std::map<SubjectKey, SubjectState>> load_states(Connection& c, const std::vector<SealedAppend>& batch) {
    std::map<SubjectKey, SubjectState> states;
    std::vector<std::string> sites, subjects;
    for (const auto& a : batch) {
        if (states.emplace(SubjectKey{a.receipt->site_id, a.receipt->subject_id}, SubjectState{}).second) {
            sites.push_back(a.receipt->site_id);
            subjects.push_back(a.receipt->subject_id);
        }
    }
    auto rows = c.query(
        "SELECT s.site_id, s.subject_id, s.purpose, s.state, s.method, s.notice_id, s.notice_version, s.decided_at, "
        "s.receipt_id FROM current_state s JOIN unnest($1::text[], $2::text[]) AS w(site, subject) "
        "ON s.site_id = w.site AND s.subject_id = w.subject",
        {text_array(sites), text_array(subjects)});
    if (!rows) return rows.error();
    for (int r = 0; r < rows->size(); ++r) {
        auto record = read_record(*rows, r, 3);
        if (!record) return record.error();
        states[SubjectKey{rows->text(r, 0), rows->text(r, 1)}].emplace(rows->text(r, 2), std::move(record.value()));
    }
    return states;
}

// The core folds each decision (apply_decision) in log order; only the rows
// that changed are written, each once (an upsert may not touch a row twice).
Status update_states(Connection& c, const std::vector<SealedAppend>& batch) {
    auto before = load_states(c, batch);
    if (!before) return before.error();
    std::map<SubjectKey, SubjectState> after = *before;
    for (const auto& a : batch)
        apply_decision(after[SubjectKey{a.receipt->site_id, a.receipt->subject_id}], a.request->decision,
                       a.receipt->server_time, a.receipt->receipt_id);
    std::vector<std::string> sites, subjects, purposes, states, methods, notice_ids, receipt_ids;
    std::vector<std::int64_t> versions, decided;
    std::vector<std::string> gone_sites, gone_subjects, gone_purposes;
    for (const auto& [key, state] : after) {
        const SubjectState& old = before->at(key);
        for (const auto& [purpose, record] : state) {
            const auto was = old.find(purpose);
            if (was != old.end() && same_record(was->second, record)) continue;
            sites.push_back(key.first);
            subjects.push_back(key.second);
            purposes.push_back(purpose);
            states.emplace_back(to_string(record.state));
            methods.emplace_back(to_string(record.method));
            notice_ids.push_back(record.notice_id);
            versions.push_back(record.notice_version);
            decided.push_back(record.decided_at);
            receipt_ids.push_back(record.receipt_id);
        }
        for (const auto& entry : old) {
            if (state.count(entry.first) != 0) continue;
            gone_sites.push_back(key.first);
            gone_subjects.push_back(key.second);
            gone_purposes.push_back(entry.first);
        }
    }
    if (!sites.empty()) {
        auto upserted = c.run(
            "INSERT INTO current_state (site_id, subject_id, purpose, state, method, notice_id, notice_version, "
            "decided_at, receipt_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
            "$6::text[], $7::bigint[], $8::bigint[], $9::text[]) ON CONFLICT (site_id, subject_id, purpose) DO UPDATE "
            "SET state = excluded.state, method = excluded.method, notice_id = excluded.notice_id, "
            "notice_version = excluded.notice_version, decided_at = excluded.decided_at, "
            "receipt_id = excluded.receipt_id",
            {text_array(sites), text_array(subjects), text_array(purposes), text_array(states), text_array(methods),
             text_array(notice_ids), int_array(versions), int_array(decided), text_array(receipt_ids)});
        if (!upserted) return upserted;
    }
    if (gone_sites.empty()) return Unit{};
    return c.run(
        "DELETE FROM current_state WHERE (site_id, subject_id, purpose) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))",
        {text_array(gone_sites), text_array(gone_subjects), text_array(gone_purposes)});
}

// One notification per site, its newest index: a stream reads what follows
// its own last index from the store, so one wake-up per site is enough.
Status notify(Connection& c, const std::vector<SealedAppend>& batch) {
    std::map<std::string, std::int64_t> newest;
    for (const auto& a : batch) newest[a.receipt->site_id] = a.receipt->log_index;
    std::vector<std::string> payloads;
    for (const auto& [site, index] : newest) payloads.push_back(std::to_string(index) + " " + site);
    return c.run("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                 {param(std::string(kReceiptChannel)), text_array(payloads)});
}

}  // namespace

LogWriter::LogWriter(std::string url, std::function<std::int64_t()> clock)
    : url_(std::move(url)), clock_(std::move(clock)) {}

Result<Connection*> LogWriter::connection() {
    if (!connection_ || connection_->broken()) {
        connection_.reset();
        auto opened = Connection::open(url_);
        if (!opened) return opened.error();
        connection_ = std::move(opened.value());
    }
    return connection_.get();
}

Result<std::int64_t> LogWriter::load_log() {
    auto c = connection();
    if (!c) return c.error();
    auto snapshot = Transaction::begin(**c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!snapshot) return snapshot.error();
    auto size = log_size(**c);
    if (!size) return size.error();
    auto frontier = load_frontier(**c, *size);
    if (!frontier) return frontier.error();
    frontier_ = std::move(frontier.value());
    return *size;
}

Result<std::optional<Checkpoint>> LogWriter::write_batch(const std::vector<SealedAppend>& batch) {
    auto c = connection();
    if (!c) return commit_failed(c.error());
    auto transaction = Transaction::begin(**c);
    if (!transaction) return commit_failed(transaction.error());
    // The one row every replica's writer locks: held for this transaction only.
    auto locked = (*c)->query("SELECT size FROM log_state WHERE id = 1 FOR UPDATE");
    if (!locked) return commit_failed(locked.error());
    if (locked->size() != 1) return commit_failed(make_error("storage.corrupt_row", "log_state has no row"));
    const std::int64_t size = locked->int64(0, 0);
    const auto expected = static_cast<std::int64_t>(frontier_.size());
    merkle::Frontier tree = frontier_;
    if (size != expected || (!batch.empty() && batch.front().receipt->log_index != expected)) {
        if (!batch.empty())
            return commit_failed(
                log_moved("the log ends at " + std::to_string(size) + ", not at " + std::to_string(expected)));
        // A checkpoint only: sign the database's own tree, read under the lock.
        auto loaded = load_frontier(**c, size);
        if (!loaded) return commit_failed(loaded.error());
        tree = std::move(loaded.value());
    }
    auto checkpoint = write_locked(**c, batch, tree);
    if (!checkpoint) return checkpoint.error();
    auto committed = transaction.value().commit();
    // A COMMIT whose answer was lost may have committed: the callers get a 503,
    // their retries find their receipts, and this writer finds the log moved.
    if (!committed) return commit_failed(committed.error());
    if (!batch.empty()) frontier_ = std::move(tree);
    return checkpoint;
}

Result<std::optional<Checkpoint>> LogWriter::write_locked(Connection& c, const std::vector<SealedAppend>& batch,
                                                          merkle::Frontier& tree) {
    if (!batch.empty()) {
        if (auto chains = check_chains(c, batch); !chains) return commit_failed(chains.error());
        if (auto receipts = insert_receipts(c, batch); !receipts) return commit_failed(receipts.error());
        if (auto nodes = insert_nodes(c, batch, tree); !nodes) return commit_failed(nodes.error());
        if (auto states = update_states(c, batch); !states) return commit_failed(states.error());
        // An erasure receipt erases what it names in its own transaction (issue #13).
        for (const auto& a : batch)
            if (a.request->erasure)
                if (auto erased = apply_erasure(c, a); !erased) return commit_failed(erased.error());
        if (auto sized =
                c.run("UPDATE log_state SET size = $1 WHERE id = 1", {param(static_cast<std::int64_t>(tree.size()))});
            !sized)
            return commit_failed(sized.error());
        if (auto notified = notify(c, batch); !notified) return commit_failed(notified.error());
    }
    const CheckpointSigner signer = current_signer();
    if (!signer) return std::optional<Checkpoint>();
    // Read under the lock: another replica may have signed a larger tree than this one last saw.
    auto latest = latest_checkpoint(c);
    if (!latest) return commit_failed(latest.error());
    const auto size = static_cast<std::int64_t>(tree.size());
    if (*latest && (*latest)->tree_size >= size) return latest;
    if (size == 0) return std::optional<Checkpoint>();
    Checkpoint checkpoint{size, tree.root(), clock_(), {}};
    auto note = call_signer(signer, checkpoint);
    if (!note) return checkpoint_failed(note.error());
    checkpoint.note = std::move(note.value());
    if (auto inserted = insert_checkpoint(c, checkpoint); !inserted) return checkpoint_failed(inserted.error());
    return std::optional<Checkpoint>(std::move(checkpoint));
}

void LogWriter::set_checkpoint_signer(CheckpointSigner signer) {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    signer_ = std::move(signer);
}

CheckpointSigner LogWriter::current_signer() const {
    std::lock_guard<std::mutex> lock(signer_mutex_);
    return signer_;
}

}  // namespace consent::server::pg
