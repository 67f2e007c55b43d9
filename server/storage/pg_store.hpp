// The scale-out receipt store: PostgreSQL (DESIGN.md "Storage"), shared by
// several stateless consentd replicas (docs/replicas.md).
//
// The same contract as SqliteStore (receipt_store.hpp): a gapless log, one
// Merkle tree, a signed checkpoint per batch, idempotent decision ids,
// append-only tables (pg_schema.cpp). Each replica runs the same append
// pipeline; its writer's transaction locks the one log_state row, so
// replicas meet only there, for the length of a batch's inserts. A batch that
// finds the log moved by another replica is refused (storage.log_moved) and
// its receipts are sealed again at the log's new end.
// Reads go through a pool of connections; each is its own snapshot, and
// proofs and the audit read in one REPEATABLE READ snapshot.
// The URL (postgresql://…) may hold a password: it is never logged nor put
// in an error message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "storage/receipt_store.hpp"
#include "storage/site_cache.hpp"

namespace consent::server {

namespace pg {
class AppendBackendImpl;
class LogWriter;
class Pool;
}  // namespace pg
class AppendPipeline;

struct PgOptions {
    std::size_t max_batch = 512;  // sealed appends per transaction
    // Pooled connections for reads and admin writes, besides the writer's and
    // the listener's own; a replica's server processes on PostgreSQL are these + 2.
    std::size_t connections = 32;
};

// Whether a --database value names a PostgreSQL database (postgresql:// or postgres://).
bool is_postgresql_url(const std::string& database);

class PgStore final : public ReceiptStore {
public:
    // Connects, creates or checks the schema (storage.schema_version), reads the log's end.
    static Result<std::unique_ptr<PgStore>> open(const std::string& url, std::function<std::int64_t()> clock,
                                                 const PgOptions& options = {});
    PgStore(const PgStore&) = delete;
    PgStore& operator=(const PgStore&) = delete;
    ~PgStore() override;

    Status put_site(const Site& site) override;
    Result<Site> site(const std::string& site_id) override;
    Status publish_notice(const StoredNotice& notice) override;
    Result<StoredNotice> notice(const std::string& site_id, std::int64_t version) override;
    Result<StoredNotice> current_notice(const std::string& site_id) override;
    Result<std::vector<StoredNotice>> notices(const std::string& site_id) override;
    Status put_api_key(const ApiKeyRecord& key) override;
    Status revoke_api_key(const std::string& key_id, std::int64_t now) override;
    Result<ApiKeyRecord> api_key(const std::string& key_id) override;

    Result<AppendOutcome> append(AppendRequest request) override;
    Result<SubjectState> subject_state(const std::string& site_id, const std::string& subject_id) override;
    std::vector<Decision> pending_decisions(const std::string& site_id, const std::string& subject_id) override;
    Result<std::vector<StoredReceipt>> subject_receipts(const std::string& site_id,
                                                        const std::string& subject_id) override;
    Result<std::vector<StoredReceipt>> receipts_after(const std::string& site_id, std::int64_t after,
                                                      std::size_t limit) override;
    Result<std::vector<StoredReceipt>> log_receipts(std::int64_t after, std::size_t limit) override;
    Result<std::vector<StoredReceipt>> receipts_in_time(const std::string& site_id, TimePosition after,
                                                        std::int64_t until, std::size_t limit) override;
    Result<std::int64_t> receipt_count() override;
    Result<std::int64_t> site_log_head(const std::string& site_id) override;
    Result<std::vector<SubjectSnapshot>> states_at(const std::string& site_id, std::int64_t at,
                                                   const std::string& after_subject, std::size_t limit) override;
    // pg_acknowledgements.cpp
    Result<std::vector<Acknowledgement>> acknowledge(const AcknowledgementRequest& request) override;
    Result<std::vector<Acknowledgement>> subject_acknowledgements(const std::string& site_id,
                                                                  const std::string& subject_id) override;
    Result<std::vector<BackendPosition>> backend_positions(const std::string& site_id) override;
    Result<std::int64_t> newest_withdrawal(const std::string& site_id) override;

    void set_checkpoint_signer(CheckpointSigner signer) override;
    Result<Checkpoint> latest_checkpoint() override;
    Result<Checkpoint> checkpoint_at(std::int64_t tree_size) override;
    Result<merkle::Hash> root_at(std::int64_t tree_size) override;
    Result<std::vector<merkle::Hash>> inclusion_proof(std::int64_t index, std::int64_t tree_size) override;
    Result<std::vector<merkle::Hash>> consistency_proof(std::int64_t from, std::int64_t to) override;

    // pg_erasure.cpp
    Result<AppendOutcome> erase(AppendRequest request) override;
    Result<std::vector<StoredReceipt>> subject_erasures(const std::string& site_id,
                                                        const std::string& subject_tag) override;
    Status set_retention(const std::string& site_id, std::int64_t keep_seconds) override;
    Result<std::int64_t> retention(const std::string& site_id) override;
    Result<std::vector<std::pair<std::string, std::int64_t>>> retention_policies() override;

    Status rebuild_check() override;  // pg_rebuild_check.cpp

    std::int64_t commit_count() const;
    std::size_t queue_depth() const;

private:
    PgStore(std::unique_ptr<pg::Pool> pool, std::unique_ptr<pg::LogWriter> writer);

    std::unique_ptr<pg::Pool> pool_;
    std::unique_ptr<pg::LogWriter> writer_;
    std::unique_ptr<pg::AppendBackendImpl> backend_;
    SiteCache sites_;
    std::unique_ptr<AppendPipeline> pipeline_;  // last: stopped before the rest goes
};

}  // namespace consent::server
