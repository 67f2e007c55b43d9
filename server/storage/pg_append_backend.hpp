// The append pipeline's view of the PostgreSQL store: its lookups run on
// pooled connections (callers' threads, committed data only), its writes on
// the log writer (the pipeline's writer thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/append_pipeline.hpp"

namespace consent::server::pg {

class LogWriter;
class Pool;

class AppendBackendImpl final : public AppendBackend {
public:
    AppendBackendImpl(LogWriter& writer, Pool& pool) : writer_(writer), pool_(pool) {}

    Result<std::optional<PriorReceipt>> find_decision(const std::string& site_id,
                                                      const std::string& decision_id) override;
    Result<std::string> chain_head(const std::string& site_id, const std::string& subject_id) override;
    Result<bool> site_exists(const std::string& site_id) override;
    Result<std::optional<Checkpoint>> latest_checkpoint() override;
    Result<std::int64_t> load_log() override;
    Result<std::optional<Checkpoint>> write_batch(const std::vector<SealedAppend>& batch) override;

private:
    LogWriter& writer_;
    Pool& pool_;
};

}  // namespace consent::server::pg
