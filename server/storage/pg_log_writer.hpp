// The write side of the PostgreSQL store: one batch of sealed receipts (from
// the append pipeline, in log order) with the subjects' current state, the
// Merkle nodes they complete, a signed checkpoint and a notification per
// site, in one transaction that holds the log_state row's lock for its length
// and no longer (docs/replicas.md "Sequencing"). Several replicas, each with
// its own writer, append to one log: a batch that finds the log moved (another
// replica appended since this writer last looked) is refused with
// storage.log_moved, writes nothing, and the pipeline reloads and reseals.
// Runs on the pipeline's writer thread only, which owns its connection; a
// connection found broken is opened again by the next call.
#pragma once

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
#include "storage/pg_connection.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server::pg {

class LogWriter {
public:
    LogWriter(std::string url, std::function<std::int64_t()> clock);

    // Where the database's log ends, with its right edge read into memory.
    Result<std::int64_t> load_log();
    // AppendBackend::write_batch: all or nothing.
    Result<std::optional<Checkpoint>> write_batch(const std::vector<SealedAppend>& batch);
    // Any thread; the next batch uses it.
    void set_checkpoint_signer(CheckpointSigner signer);

private:
    Result<Connection*> connection();
    Result<std::optional<Checkpoint>> write_locked(Connection& c, const std::vector<SealedAppend>& batch,
                                                   merkle::Frontier& tree);
    CheckpointSigner current_signer() const;

    const std::string url_;
    std::function<std::int64_t()> clock_;
    std::unique_ptr<Connection> connection_;
    merkle::Frontier frontier_;  // the committed tree's right edge, as this writer last saw it
    mutable std::mutex signer_mutex_;
    CheckpointSigner signer_;  // guarded by signer_mutex_
};

}  // namespace consent::server::pg
