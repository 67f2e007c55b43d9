// The write side of the SQLite store: turns a batch of append requests into
// receipts, each subject's current state and log positions, in one transaction.
// Runs only on the group committer's thread, which owns the write connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "consent/result.hpp"
#include "storage/group_committer.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class LogWriter {
public:
    LogWriter(std::unique_ptr<Connection> connection, std::function<std::int64_t()> clock);

    // GroupCommitter's batch function. Requests are handled in queue order;
    // one that fails (seal, constraint) writes nothing and the rest go on; if
    // the COMMIT fails, every request of the batch fails.
    void commit_batch(GroupCommitter::Batch& batch);

    // Transactions committed so far: fewer than appends when grouping works.
    std::int64_t commit_count() const noexcept { return commits_.load(std::memory_order_relaxed); }

private:
    Result<AppendOutcome> append_one(const PendingAppend& pending);
    Status check_request(const AppendRequest& request);
    Result<ReceiptSlot> next_slot(const AppendRequest& request);
    Result<std::string> previous_receipt_hash(const std::string& site_id, const std::string& subject_id);
    Status write(const AppendRequest& request, const StoredReceipt& receipt, const ReceiptSlot& slot,
                 const std::string& decision_json);
    Status insert_receipt(const StoredReceipt& receipt, const ReceiptSlot& slot, const std::string& decision_json);
    Status update_state(const std::string& site_id, const Decision& decision, const StoredReceipt& receipt);
    Status write_state_row(const std::string& site_id, const std::string& subject_id, const std::string& purpose,
                           const PurposeRecord& record);
    Status delete_state_row(const std::string& site_id, const std::string& subject_id, const std::string& purpose);

    std::unique_ptr<Connection> connection_;
    std::function<std::int64_t()> clock_;
    std::int64_t next_index_ = 0;  // valid inside a batch's transaction
    std::atomic<std::int64_t> commits_{0};
};

}  // namespace consent::server::sqlite
