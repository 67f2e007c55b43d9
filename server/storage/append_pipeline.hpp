// The write path of the receipt log (issue #11), storage-agnostic.
//
// Only what must be serial is serial, and it is short: under one mutex, a
// request takes the log's next index, the time, and its subject's previous
// receipt hash, all kept in memory. It then builds and signs its receipt on its
// own thread (the callers' threads sign in parallel), and waits. One writer
// thread takes the run of consecutive sealed receipts at the log's end and
// writes it, with a signed checkpoint, in one durable transaction (group
// commit); while it writes, the next receipts are being signed.
//
// What keeps the log gapless and every chain intact when something fails after
// a receipt got its index:
// - a seal that fails answers its caller with the seal's error and gives its
//   index back: every receipt sequenced after it is signed again, at its new
//   index, by its own caller (nothing of them was written yet);
// - a batch that cannot commit answers its callers with the store's error and
//   the receipts after it are signed again in the same way;
// - nothing is acknowledged before its transaction is durable.
// Retries stay idempotent: a decision id in flight is claimed, and another
// request under it waits for the first one's answer (then it is a replay of
// it, or decision.id_conflict); one already committed is found in the store.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

// A receipt already in the store under a decision id, with the decision as
// recorded, so that a retry can be told from another decision.
struct PriorReceipt {
    StoredReceipt receipt;
    Decision decision;
};

// One sealed receipt handed to the writer, in log order. Everything it points
// to stays put until the writer is done with the batch.
struct SealedAppend {
    const AppendRequest* request = nullptr;
    const std::string* decision_json = nullptr;  // as recorded with the receipt (receipts.decision)
    const StoredReceipt* receipt = nullptr;
    const std::string* previous_receipt_hash = nullptr;
    merkle::Hash leaf_hash{};  // RFC 9162 leaf hash of receipt->jws, made on the caller's thread
    // Where a backend that can puts the receipt's inclusion proof at the size
    // of the checkpoint it signs for the batch (left empty otherwise).
    std::vector<merkle::Hash>* inclusion = nullptr;
};

// What the pipeline needs of a store.
class AppendBackend {
public:
    virtual ~AppendBackend() = default;

    // Callers' threads, concurrently; they see committed data only.
    virtual Result<std::optional<PriorReceipt>> find_decision(const std::string& site_id,
                                                              const std::string& decision_id) = 0;
    // Hex SHA-256 of the subject's latest committed JWS, "" if it has none.
    virtual Result<std::string> chain_head(const std::string& site_id, const std::string& subject_id) = 0;
    virtual Result<bool> site_exists(const std::string& site_id) = 0;
    virtual Result<std::optional<Checkpoint>> latest_checkpoint() = 0;

    // The writer's thread only (and the constructor, before that thread starts).
    // Reads where the log ends and whatever the writer keeps in memory of it.
    virtual Result<std::int64_t> load_log() = 0;
    // Writes the receipts, whose indexes continue the log, with a signed
    // checkpoint of the new tree, in one durable transaction; all or nothing.
    // With no receipts, signs a checkpoint only if the log outgrew the latest.
    // The checkpoint is none when no signer is set.
    virtual Result<std::optional<Checkpoint>> write_batch(const std::vector<SealedAppend>& batch) = 0;
};

class AppendPipeline {
public:
    using Clock = std::function<std::int64_t()>;

    // Reads the log's end (backend.load_log()); the error if it cannot.
    static Result<std::unique_ptr<AppendPipeline>> start(AppendBackend& backend, Clock clock, std::size_t max_batch);
    AppendPipeline(const AppendPipeline&) = delete;
    AppendPipeline& operator=(const AppendPipeline&) = delete;
    // Answers every request in flight, then stops the writer.
    ~AppendPipeline();

    // Blocks until the receipt is durable (or refused: then nothing of it was
    // written). decision_json must outlive the call.
    Result<AppendOutcome> append(const AppendRequest& request, const std::string& decision_json);

    // The subject's decisions received and not yet answered, in arrival order
    // (ReceiptStore::pending_decisions). Cheap when nothing is in flight.
    std::vector<Decision> pending_decisions(const std::string& site_id, const std::string& subject_id) const;

    std::size_t in_flight() const;       // requests holding an index, not yet answered
    std::size_t sealed_waiting() const;  // of those, the ones signed and waiting for their commit
    std::int64_t commit_count() const;   // transactions so far: fewer than receipts when grouping works

private:
    struct Head;
    struct Entry;
    struct Claim;

    AppendPipeline(AppendBackend& backend, Clock clock, std::size_t max_batch, std::int64_t log_size);

    Result<AppendOutcome> append_claimed(const AppendRequest& request, const std::string& decision_json);
    Result<AppendOutcome> replay(StoredReceipt receipt);
    Result<bool> known_site(const std::string& site_id);
    Result<std::shared_ptr<Entry>> sequence(const AppendRequest& request, const std::string& decision_json);
    std::optional<Result<AppendOutcome>> post_and_wait(const std::shared_ptr<Entry>& entry,
                                                       Result<SealedReceipt> sealed);
    void unwind_from(std::int64_t index, const Error* batch_error);
    void release_head(const std::shared_ptr<Entry>& entry);
    Result<std::optional<Checkpoint>> checkpoint_now();

    void run_writer();
    void write_ready_run(std::unique_lock<std::mutex>& lock);
    void sign_requested_checkpoint(std::unique_lock<std::mutex>& lock);
    bool writer_has_work() const;

    AppendBackend& backend_;
    Clock clock_;
    const std::size_t max_batch_;

    mutable std::mutex mutex_;
    std::int64_t next_index_;                                         // the index the next sequenced receipt takes
    std::int64_t written_index_;                                      // the first index not yet committed
    std::map<std::int64_t, std::shared_ptr<Entry>> entries_;          // by index: sequenced, not answered
    std::unordered_map<std::string, std::shared_ptr<Head>> heads_;    // subjects with receipts in flight
    std::unordered_map<std::string, std::shared_ptr<Claim>> claims_;  // decision ids in flight
    std::set<std::string> sites_;                                     // sites seen to exist (never removed)
    std::int64_t commits_ = 0;
    std::int64_t checkpoint_requests_ = 0;  // asked for by replays
    std::int64_t checkpoint_rounds_ = 0;    // signed for them
    std::optional<Result<std::optional<Checkpoint>>> checkpoint_answer_;
    bool stopping_ = false;
    std::condition_variable writer_wake_;
    std::condition_variable checkpoint_done_;
    // Decisions from their arrival to their answer, by pair_key(site, subject),
    // with the arrival number that orders them. Apart from mutex_ so that
    // checks never wait on the pipeline's sequencing.
    mutable std::mutex pending_mutex_;
    std::unordered_multimap<std::string, std::pair<std::uint64_t, const Decision*>> pending_;
    std::uint64_t arrivals_ = 0;
    std::atomic<std::size_t> pending_count_{0};

    std::thread writer_;  // last: started once everything above exists
};

}  // namespace consent::server
