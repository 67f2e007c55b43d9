// The write side of the SQLite store: turns a batch of append requests into
// receipts, each subject's current state, log positions and Merkle nodes, and
// ends the batch with a signed checkpoint, all in one transaction.
// Runs only on the group committer's thread, which owns the write connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "consent/base/result.hpp"
#include "storage/group_committer.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class LogWriter {
public:
    LogWriter(std::unique_ptr<Connection> connection, std::function<std::int64_t()> clock);

    // GroupCommitter's batch function. Requests are handled in queue order;
    // one that fails (seal, constraint) writes nothing and the rest go on; if
    // the checkpoint or the COMMIT fails, every request of the batch fails.
    void commit_batch(GroupCommitter::Batch& batch);

    // Any thread may set or replace the signer; the next batch uses it.
    // Without one, batches store no checkpoint and outcomes carry none.
    void set_checkpoint_signer(CheckpointSigner signer);

    // Transactions committed so far: fewer than appends when grouping works.
    std::int64_t commit_count() const noexcept { return commits_.load(std::memory_order_relaxed); }

private:
    Result<AppendOutcome> append_one(const PendingAppend& pending);
    Status attach_checkpoint(GroupCommitter::Batch& batch);
    Result<std::optional<Checkpoint>> checkpoint_for_batch();
    Result<Checkpoint> sign_checkpoint(const CheckpointSigner& signer);
    CheckpointSigner current_signer() const;
    Status check_request(const AppendRequest& request);
    Result<ReceiptSlot> next_slot(const AppendRequest& request);
    Result<std::string> previous_receipt_hash(const std::string& site_id, const std::string& subject_id);
    Status write(const AppendRequest& request, const StoredReceipt& receipt, const ReceiptSlot& slot,
                 const std::string& decision_json);
    Status insert_receipt(const StoredReceipt& receipt, const ReceiptSlot& slot, const std::string& decision_json);
    Status append_to_tree(const StoredReceipt& receipt);
    Status update_state(const std::string& site_id, const Decision& decision, const StoredReceipt& receipt);
    Status write_state_row(const std::string& site_id, const std::string& subject_id, const std::string& purpose,
                           const PurposeRecord& record);
    Status delete_state_row(const std::string& site_id, const std::string& subject_id, const std::string& purpose);

    std::unique_ptr<Connection> connection_;
    std::function<std::int64_t()> clock_;
    std::int64_t next_index_ = 0;  // valid inside a batch's transaction
    std::atomic<std::int64_t> commits_{0};
    mutable std::mutex signer_mutex_;
    CheckpointSigner signer_;  // guarded by signer_mutex_
};

}  // namespace consent::server::sqlite
