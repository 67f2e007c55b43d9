// The embedded receipt store: one SQLite file in WAL mode (DESIGN.md "Storage").
//
// Three kinds of connection, each used by one thread at a time:
// - the write connection, owned by the append pipeline's writer thread;
// - the admin connection, behind a mutex: sites, notices, API keys (rare);
// - leased read connections: every read, concurrent with the writer, and the
//   pipeline's lookups (a decision id already used, a subject's chain head).
// Every receipt is also a leaf of the Merkle log (sqlite_merkle.hpp), and
// once a checkpoint signer is set, every batch that grows the log ends with a
// signed checkpoint in the same transaction.
// append() is acknowledged only after the COMMIT of the batch that holds it,
// with synchronous=FULL, so an acknowledged receipt survives a power cut.
// One consentd writes a file: the writer keeps the log's end in memory, and a
// batch finding the file's log moved by another process is refused
// (storage.log_moved, retryable) and the writer reads the log's end again.
// Subjects' current states and API keys are also kept in memory (read_cache.hpp:
// the writer puts what it committed, readers fill what they missed); what
// another process writes to the file drops them (sqlite_foreign_writes.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "storage/read_cache.hpp"
#include "storage/receipt_store.hpp"
#include "storage/site_cache.hpp"
#include "storage/sqlite_wal_checkpointer.hpp"

namespace consent::server {

namespace sqlite {
class Connection;
class AppendBackendImpl;
class LogWriter;
class ReadPool;
class WalCheckpointer;
class ForeignWriteWatch;
}  // namespace sqlite
class AppendPipeline;

// Up to this many sealed appends share one transaction (and one fsync).
inline constexpr std::size_t kDefaultMaxBatch = 512;
// How long a connection waits for a lock held by another before storage.sqlite_error.
inline constexpr int kDefaultBusyTimeoutMs = 5000;
// Subjects whose current state is kept in memory (about 1 KB each with three
// purposes): the most recently used; the rest are read from the file.
inline constexpr std::size_t kDefaultStateCacheSubjects = 100000;

struct SqliteOptions {
    std::size_t max_batch = kDefaultMaxBatch;
    int busy_timeout_ms = kDefaultBusyTimeoutMs;
    std::size_t state_cache_subjects = kDefaultStateCacheSubjects;
    // How often the file is looked at for another process's writes (sqlite_foreign_writes.hpp).
    std::chrono::milliseconds foreign_write_period{50};
};

class SqliteStore final : public ReceiptStore {
public:
    // Creates the file if needed, or migrates it; refuses a file of another
    // schema version (storage.schema_version). clock gives server time in
    // seconds since the Unix epoch; appends call it while they take their index.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, std::function<std::int64_t()> clock);
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, std::function<std::int64_t()> clock,
                                                     const SqliteOptions& options);
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;
    // Answers every append in flight, stops the writer, closes the file.
    ~SqliteStore() override;

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
    Result<std::int64_t> site_log_head(const std::string& site_id) override;  // sqlite_snapshot.cpp
    Result<std::vector<SubjectSnapshot>> states_at(const std::string& site_id, std::int64_t at,
                                                   const std::string& after_subject, std::size_t limit) override;
    // sqlite_acknowledgements.cpp
    Result<std::vector<Acknowledgement>> acknowledge(const AcknowledgementRequest& request) override;
    Result<std::vector<Acknowledgement>> subject_acknowledgements(const std::string& site_id,
                                                                  const std::string& subject_id) override;
    Result<std::vector<BackendPosition>> backend_positions(const std::string& site_id) override;
    Result<std::int64_t> newest_withdrawal(const std::string& site_id) override;

    // The Merkle log: nodes and checkpoints are written by the writer in
    // each batch's transaction; roots and proofs are read through the read
    // pool, each request in one snapshot, for any size up to the log's.
    void set_checkpoint_signer(CheckpointSigner signer) override;
    Result<Checkpoint> latest_checkpoint() override;
    Result<Checkpoint> checkpoint_at(std::int64_t tree_size) override;
    Result<merkle::Hash> root_at(std::int64_t tree_size) override;
    Result<std::vector<merkle::Hash>> inclusion_proof(std::int64_t index, std::int64_t tree_size) override;
    Result<std::vector<merkle::Hash>> consistency_proof(std::int64_t from, std::int64_t to) override;

    // sqlite_erasure.cpp: erasures run one at a time, each ends with the files scrubbed.
    Result<AppendOutcome> erase(AppendRequest request) override;
    Result<std::vector<StoredReceipt>> subject_erasures(const std::string& site_id,
                                                        const std::string& subject_tag) override;
    Status set_retention(const std::string& site_id, std::int64_t keep_seconds) override;
    Result<std::int64_t> retention(const std::string& site_id) override;
    Result<std::vector<std::pair<std::string, std::int64_t>>> retention_policies() override;

    Status rebuild_check() override;
    bool keeps_hot_reads_in_memory() const override { return true; }

    // Statistics for /metrics and tests.
    std::int64_t commit_count() const;   // group commits so far (since open)
    std::size_t queue_depth() const;     // appends holding a log index, not yet answered
    std::size_t sealed_waiting() const;  // of those, the signed ones waiting for their commit
    ReadCacheStats state_cache_stats() const;
    ReadCacheStats key_cache_stats() const;
    std::int64_t foreign_receipts_seen() const;  // times another process's receipts dropped the states
    sqlite::WalCheckpointer::Stats wal_stats() const;

private:
    SqliteStore(std::unique_ptr<ReadCache<SubjectState>> states, std::unique_ptr<sqlite::WalCheckpointer> checkpointer,
                std::unique_ptr<sqlite::LogWriter> writer, std::unique_ptr<sqlite::Connection> admin,
                std::unique_ptr<sqlite::ReadPool> reads);

    std::unique_ptr<ReadCache<SubjectState>> states_;  // first: the writer puts into it
    ReadCache<ApiKeyRecord> keys_{4096, 16};
    SiteCache sites_;
    std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;  // outlives the writer's connection
    std::unique_ptr<sqlite::LogWriter> writer_;
    std::unique_ptr<sqlite::Connection> admin_;
    std::mutex admin_mutex_;
    std::mutex erase_mutex_;  // one erasure at a time: each reads what it erases first
    std::unique_ptr<sqlite::ReadPool> reads_;
    std::unique_ptr<sqlite::AppendBackendImpl> backend_;
    std::unique_ptr<sqlite::ForeignWriteWatch> watch_;  // reads the writer and the caches
    std::unique_ptr<AppendPipeline> pipeline_;          // declared last: stopped before the rest closes
};

}  // namespace consent::server
