// The write side of the SQLite store: writes a batch of sealed receipts (from
// the append pipeline, in log order) with each subject's current state, the
// Merkle nodes they complete and a signed checkpoint, in one transaction.
// Runs only on the pipeline's writer thread, which owns the write connection.
// It keeps the tree's right edge in memory (merkle::Frontier), so appending
// reads no stored node and signing the new root reads none either.
// After each commit, before anyone is answered, it puts the states it wrote
// into the store's state cache (read_cache.hpp), so checks read them from
// memory; it reads a subject's state from that cache too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/log/merkle_frontier.hpp"
#include "storage/append_pipeline.hpp"
#include "storage/read_cache.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class LogWriter {
public:
    using StateCache = ReadCache<SubjectState>;

    // states: the store's cache of current states (outlives the writer).
    LogWriter(std::unique_ptr<Connection> connection, std::function<std::int64_t()> clock, StateCache& states);

    // Where the file's log ends, and its right edge and latest checkpoint
    // read back into memory (at start, and after a batch that failed). The
    // file may have been written by another process: the state cache is dropped.
    Result<std::int64_t> load_log();

    // The log's end as this writer last committed or loaded it, or is
    // committing (set just before the COMMIT; any thread).
    std::int64_t committed_size() const { return committed_size_.load(); }

    // AppendBackend::write_batch: all or nothing. The file's log must end where
    // this writer's does (storage.log_moved when another process wrote to it).
    Result<std::optional<Checkpoint>> write_batch(const std::vector<SealedAppend>& batch);

    // Any thread may set or replace the signer; the next batch uses it.
    // Without one, batches store no checkpoint and outcomes carry none.
    void set_checkpoint_signer(CheckpointSigner signer);

private:
    // A subject's state before and after the batch's decisions (update_states).
    struct FoldedState {
        const std::string* site_id;
        const std::string* subject_id;
        SubjectState before;
        SubjectState after;
    };

    Result<std::optional<Checkpoint>> write_in_transaction(const std::vector<SealedAppend>& batch,
                                                           merkle::Frontier& tree, std::vector<FoldedState>& folded);
    void hand_out_proofs(const std::vector<SealedAppend>& batch, const std::vector<merkle::Node>& nodes,
                         std::uint64_t size) const;
    Status insert_receipts(const std::vector<SealedAppend>& batch);
    Status insert_nodes(const std::vector<merkle::Node>& nodes);
    Status update_states(const std::vector<SealedAppend>& batch, std::vector<FoldedState>& folded);
    Result<SubjectState> state_before(const std::string& site_id, const std::string& subject_id);
    void publish_states(const std::vector<SealedAppend>& batch, std::vector<FoldedState>& folded);
    Result<std::optional<Checkpoint>> checkpoint_for(const merkle::Frontier& tree);
    CheckpointSigner current_signer() const;

    std::unique_ptr<Connection> connection_;
    std::function<std::int64_t()> clock_;
    StateCache& states_;
    merkle::Frontier frontier_;  // the committed tree's right edge
    std::atomic<std::int64_t> committed_size_{0};
    std::int64_t signed_size_ = 0;  // tree size of the latest stored checkpoint, 0 if none
    mutable std::mutex signer_mutex_;
    CheckpointSigner signer_;  // guarded by signer_mutex_
};

}  // namespace consent::server::sqlite
