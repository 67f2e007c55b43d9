// The group committer (server/storage/group_committer.hpp) on its own, with a
// batch function in memory: many callers at once, each answered with its own
// outcome, batches bounded. Also run under ThreadSanitizer ([concurrency]).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "storage/group_committer.hpp"

namespace {

using consent::Result;
using consent::server::AppendOutcome;
using consent::server::GroupCommitter;
using consent::server::PendingAppend;

PendingAppend pending(int n) {
    PendingAppend p;
    p.request.receipt_id = "rcpt-" + std::to_string(n);
    return p;
}

// An in-memory "log": each request of a batch takes the next index. Only the
// committer's thread calls it; the sizes are read after it has stopped.
struct MemoryLog {
    std::int64_t next = 0;
    std::vector<std::size_t> batch_sizes;
    void commit(GroupCommitter::Batch& batch) {
        batch_sizes.push_back(batch.size());
        for (auto& p : batch) {
            AppendOutcome outcome;
            outcome.receipt.receipt_id = p.request.receipt_id;
            outcome.receipt.log_index = next++;
            p.outcome = std::move(outcome);
        }
    }
};

struct Answer {
    bool ok = false;
    std::string receipt_id;
    std::int64_t log_index = -1;
};

Answer answer_of(const Result<AppendOutcome>& r) {
    if (!r) return {};
    return {true, r.value().receipt.receipt_id, r.value().receipt.log_index};
}

}  // namespace

TEST_CASE("many callers at once each get their own answer in batches no larger than the bound",
          "[server][storage][concurrency]") {
    constexpr int kThreads = 32;
    constexpr int kEach = 40;
    constexpr std::size_t kMaxBatch = 16;
    MemoryLog log;
    std::vector<std::vector<Answer>> answers(kThreads);
    {
        GroupCommitter committer([&log](GroupCommitter::Batch& b) { log.commit(b); }, kMaxBatch);
        std::vector<std::thread> callers;
        for (int t = 0; t < kThreads; ++t)
            callers.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i)
                    answers[t].push_back(answer_of(committer.submit(pending(t * kEach + i))));
            });
        for (auto& c : callers) c.join();
    }
    std::vector<std::int64_t> indexes;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) {
            const Answer& a = answers[t][static_cast<std::size_t>(i)];
            CAPTURE(t, i);
            REQUIRE(a.ok);
            CHECK(a.receipt_id == "rcpt-" + std::to_string(t * kEach + i));  // my answer, not a neighbour's
            indexes.push_back(a.log_index);
        }
    std::sort(indexes.begin(), indexes.end());
    CHECK(std::adjacent_find(indexes.begin(), indexes.end()) == indexes.end());
    CHECK(indexes.back() == kThreads * kEach - 1);
    CHECK(*std::max_element(log.batch_sizes.begin(), log.batch_sizes.end()) <= kMaxBatch);
}
