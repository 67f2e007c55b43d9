#include "storage/group_committer.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace consent::server {

GroupCommitter::GroupCommitter(CommitBatch commit, std::size_t max_batch)
    : commit_(std::move(commit)), max_batch_(std::max<std::size_t>(max_batch, 1)), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

Result<AppendOutcome> GroupCommitter::submit(PendingAppend pending) {
    std::future<Result<AppendOutcome>> answer;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return make_error("storage.closed", "the store is shutting down");
        queue_.push_back(Waiting{std::move(pending), {}});
        answer = queue_.back().done.get_future();
    }
    wake_.notify_one();
    return answer.get();
}

std::size_t GroupCommitter::queue_depth() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

void GroupCommitter::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        // Stopping still drains: every queued caller gets a real answer.
        if (queue_.empty()) return;
        std::vector<Waiting> waiting = take_batch(lock);
        lock.unlock();
        commit_and_answer(waiting);
        lock.lock();
    }
}

std::vector<GroupCommitter::Waiting> GroupCommitter::take_batch(std::unique_lock<std::mutex>&) {
    const std::size_t n = std::min(queue_.size(), max_batch_);
    std::vector<Waiting> waiting;
    waiting.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        waiting.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    return waiting;
}

void GroupCommitter::commit_and_answer(std::vector<Waiting>& waiting) {
    Batch batch;
    batch.reserve(waiting.size());
    for (auto& w : waiting) batch.push_back(std::move(w.pending));
    try {
        commit_(batch);
    } catch (...) {
        // The batch function rolls back as it unwinds, so nothing was acknowledged.
        for (auto& p : batch) p.outcome = make_error("storage.commit_failed", "the batch was not committed");
    }
    for (std::size_t i = 0; i < waiting.size(); ++i) {
        auto& outcome = batch[i].outcome;
        if (!outcome) outcome = make_error("storage.internal", "the request was not answered");
        waiting[i].done.set_value(std::move(*outcome));
    }
}

}  // namespace consent::server
