// Group commit: callers of append() queue their request and wait; one thread
// takes everything queued (up to a bound) and commits it as one transaction,
// so that one durable fsync acknowledges many receipts. Storage-agnostic: the
// batch function does the writing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

struct PendingAppend {
    AppendRequest request;
    std::string decision_json;  // the decision as it will be recorded, prepared on the caller's thread
    std::optional<Result<AppendOutcome>> outcome;  // set by the batch function
};

class GroupCommitter {
public:
    using Batch = std::vector<PendingAppend>;
    // Writes a batch in one transaction and sets every outcome; an ok outcome
    // promises that its receipt is durably committed.
    using CommitBatch = std::function<void(Batch&)>;

    GroupCommitter(CommitBatch commit, std::size_t max_batch);
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;
    // Commits what is still queued, then joins the thread.
    ~GroupCommitter();

    // Blocks until the batch holding this request was committed (or failed).
    // Must not be called from inside the batch function (it would wait on itself).
    Result<AppendOutcome> submit(PendingAppend pending);

    // Requests waiting for the next batch (for metrics and tests).
    std::size_t queue_depth() const;

private:
    struct Waiting {
        PendingAppend pending;
        std::promise<Result<AppendOutcome>> done;
    };

    void run();
    std::vector<Waiting> take_batch(std::unique_lock<std::mutex>& lock);
    void commit_and_answer(std::vector<Waiting>& waiting);

    CommitBatch commit_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Waiting> queue_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace consent::server
