// SqliteStore: opening, appends and the receipt/state reads. Sites, notices
// and API keys are in sqlite_store_config.cpp.
#include "storage/sqlite_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "storage/append_pipeline.hpp"
#include "storage/sqlite_append_backend.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/sqlite_foreign_writes.hpp"
#include "storage/sqlite_log_writer.hpp"
#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_queries.hpp"
#include "storage/sqlite_read_pool.hpp"
#include "storage/sqlite_rebuild_check.hpp"
#include "storage/sqlite_rows.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_wal_checkpointer.hpp"

namespace consent::server {
namespace {

using sqlite::Connection;
using sqlite::Statement;

Result<std::unique_ptr<Connection>> open_writable(const std::string& path, int busy_timeout_ms) {
    auto connection = Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    if (!connection) return connection.error();
    auto configured = sqlite::configure_connection(*connection.value(), sqlite::Role::writer, busy_timeout_ms);
    if (!configured) return configured.error();
    return std::move(connection.value());
}

// A reader that cannot open should stop start-up, not turn every later read empty.
Status probe_reader(sqlite::ReadPool& pool) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    return Unit{};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, std::function<std::int64_t()> clock) {
    return open(path, std::move(clock), SqliteOptions{});
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, std::function<std::int64_t()> clock,
                                                       const SqliteOptions& options) try {
    if (!clock) return make_error("storage.invalid_argument", "the store needs a clock");
    auto writer = open_writable(path, options.busy_timeout_ms);
    if (!writer) return writer.error();
    auto migrated = sqlite::migrate_schema(*writer.value());
    if (!migrated) return migrated.error();
    auto admin = open_writable(path, options.busy_timeout_ms);
    if (!admin) return admin.error();
    auto reads = std::make_unique<sqlite::ReadPool>(path, options.busy_timeout_ms);
    auto probed = probe_reader(*reads);
    if (!probed) return probed.error();
    // The log writer's commits leave the WAL's copying to its own thread.
    auto checkpointer = sqlite::WalCheckpointer::start(path, options.busy_timeout_ms);
    if (!checkpointer) return checkpointer.error();
    Connection& writing = *writer.value();
    sqlite::WalCheckpointer& background = *checkpointer.value();
    const int busy_timeout_ms = options.busy_timeout_ms;
    writing.on_wal_commit([&writing, &background, busy_timeout_ms](int frames) {
        if (background.writer_checkpoints_now(frames))
            background.writer_checkpointed(
                writing.checkpoint_restart(sqlite::WalCheckpointer::kRestartWaitMs, busy_timeout_ms).ok());
    });
    auto states = std::make_unique<ReadCache<SubjectState>>(options.state_cache_subjects);
    auto log = std::make_unique<sqlite::LogWriter>(std::move(writer.value()), clock, *states);
    std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(states), std::move(checkpointer.value()),
                                                       std::move(log), std::move(admin.value()), std::move(reads)));
    SqliteStore& s = *store;
    auto watch = sqlite::ForeignWriteWatch::start(
        path, options.busy_timeout_ms,
        {[&s] { return s.writer_->committed_size(); }, [&s] { s.states_->clear(); }, [&s] { s.keys_.clear(); }},
        options.foreign_write_period);
    if (!watch) return watch.error();
    store->watch_ = std::move(watch.value());
    // After the watch: its first look at the keys comes before any is cached,
    // and the writer's load_log (here) sets the log's end it compares with.
    auto pipeline = AppendPipeline::start(*store->backend_, std::move(clock), options.max_batch);
    if (!pipeline) return pipeline.error();
    store->pipeline_ = std::move(pipeline.value());
    return store;
} catch (...) {
    return sqlite::internal_error();
}

SqliteStore::SqliteStore(std::unique_ptr<ReadCache<SubjectState>> states,
                         std::unique_ptr<sqlite::WalCheckpointer> checkpointer,
                         std::unique_ptr<sqlite::LogWriter> writer, std::unique_ptr<Connection> admin,
                         std::unique_ptr<sqlite::ReadPool> reads)
    : states_(std::move(states)),
      checkpointer_(std::move(checkpointer)),
      writer_(std::move(writer)),
      admin_(std::move(admin)),
      reads_(std::move(reads)),
      backend_(std::make_unique<sqlite::AppendBackendImpl>(*writer_, *reads_)) {}

SqliteStore::~SqliteStore() {
    pipeline_.reset();  // answers and joins before the write connection closes
    watch_.reset();     // it reads the writer
}

Result<AppendOutcome> SqliteStore::append(AppendRequest request) try {
    // Made on the caller's thread, like the receipt's signature: the writer's
    // serial work is only the writing.
    auto decision_json = sqlite::recorded_decision_json(request.decision);
    if (!decision_json) return decision_json.error();
    return pipeline_->append(request, decision_json.value());
} catch (...) {
    return sqlite::internal_error();
}

ReadCacheStats SqliteStore::state_cache_stats() const { return states_->stats(); }
ReadCacheStats SqliteStore::key_cache_stats() const { return keys_.stats(); }
sqlite::WalCheckpointer::Stats SqliteStore::wal_stats() const { return checkpointer_->stats(); }

std::int64_t SqliteStore::foreign_receipts_seen() const { return watch_ ? watch_->foreign_receipts() : 0; }

std::vector<Decision> SqliteStore::pending_decisions(const std::string& site_id, const std::string& subject_id) {
    return pipeline_->pending_decisions(site_id, subject_id);
}

// From memory when the subject was read or written lately (read_cache.hpp:
// the writer puts each commit's states before answering anyone, so a
// decision that left pending_decisions is found here).
Result<SubjectState> SqliteStore::subject_state(const std::string& site_id, const std::string& subject_id) try {
    const std::string key = subject_cache_key(site_id, subject_id);
    ReadCache<SubjectState>::Ticket ticket;
    if (auto cached = states_->find(key, &ticket)) return *cached;
    auto lease = reads_->acquire();
    if (!lease) return lease.error();
    auto state = sqlite::load_state(*lease.value(), site_id, subject_id);
    if (state) states_->fill(key, ticket, *state);
    return state;
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<StoredReceipt>> SqliteStore::subject_receipts(const std::string& site_id,
                                                                 const std::string& subject_id) try {
    return sqlite::read_rows<StoredReceipt>(
        *reads_, sqlite::select_receipts("WHERE site_id = ?1 AND subject_id = ?2 ORDER BY log_index"),
        [&](Statement& s) { s.bind(1, site_id).bind(2, subject_id); }, sqlite::read_receipt_row);
} catch (...) {
    return sqlite::internal_error();
}

namespace {
std::int64_t as_sql_limit(std::size_t limit) {
    const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(limit, max));
}
}  // namespace

Result<std::vector<StoredReceipt>> SqliteStore::receipts_after(const std::string& site_id, std::int64_t after,
                                                               std::size_t limit) try {
    return sqlite::read_rows<StoredReceipt>(
        *reads_,
        sqlite::select_receipts("WHERE site_id = ?1 AND log_index > ?2 AND jws <> '' ORDER BY log_index LIMIT ?3"),
        [&](Statement& s) { s.bind(1, site_id).bind(2, after).bind(3, as_sql_limit(limit)); },
        sqlite::read_receipt_row);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<StoredReceipt>> SqliteStore::log_receipts(std::int64_t after, std::size_t limit) try {
    return sqlite::read_rows<StoredReceipt>(
        *reads_, sqlite::select_receipts("WHERE log_index > ?1 ORDER BY log_index LIMIT ?2"),
        [&](Statement& s) { s.bind(1, after).bind(2, as_sql_limit(limit)); }, sqlite::read_receipt_row);
} catch (...) {
    return sqlite::internal_error();
}

// Served by receipts_by_time (site_id, server_time): SQLite keeps the rowid,
// log_index here, as every index's last column, so the rows come in the
// requested order without a sort. Rows of the cursor's own second are skipped
// up to its log index; every later one is taken.
Result<std::vector<StoredReceipt>> SqliteStore::receipts_in_time(const std::string& site_id, TimePosition after,
                                                                 std::int64_t until, std::size_t limit) try {
    return sqlite::read_rows<StoredReceipt>(
        *reads_,
        sqlite::select_receipts(
            "WHERE site_id = ?1 AND server_time >= ?2 AND server_time < ?4 AND (server_time > ?2 OR log_index > ?3) "
            "AND subject_id <> '#erasure' ORDER BY server_time, log_index LIMIT ?5"),
        [&](Statement& s) {
            s.bind(1, site_id)
                .bind(2, after.server_time)
                .bind(3, after.log_index)
                .bind(4, until)
                .bind(5, as_sql_limit(limit));
        },
        sqlite::read_receipt_row);
} catch (...) {
    return sqlite::internal_error();
}

Result<std::int64_t> SqliteStore::receipt_count() try {
    // The schema keeps the log gapless from 0, so its end is its size.
    return sqlite::only_row(sqlite::read_rows<std::int64_t>(
                                *reads_, "SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts", [](Statement&) {},
                                [](const Statement& s) { return std::optional<std::int64_t>(s.int64(0)); }),
                            "log size");
} catch (...) {
    return sqlite::internal_error();
}

void SqliteStore::set_checkpoint_signer(CheckpointSigner signer) { writer_->set_checkpoint_signer(std::move(signer)); }

namespace {
Result<Checkpoint> found_checkpoint(Result<std::optional<Checkpoint>> found) {
    if (!found) return found.error();
    if (!*found) return make_error("storage.not_found", "no checkpoint of that size");
    return std::move(*found.value());
}
}  // namespace

Result<Checkpoint> SqliteStore::latest_checkpoint() try {
    return found_checkpoint(
        sqlite::in_read_snapshot(*reads_, [](Connection& c) { return sqlite::latest_checkpoint(c); }));
} catch (...) {
    return sqlite::internal_error();
}

Result<Checkpoint> SqliteStore::checkpoint_at(std::int64_t tree_size) try {
    return found_checkpoint(
        sqlite::in_read_snapshot(*reads_, [&](Connection& c) { return sqlite::checkpoint_at(c, tree_size); }));
} catch (...) {
    return sqlite::internal_error();
}

Result<merkle::Hash> SqliteStore::root_at(std::int64_t tree_size) try {
    return sqlite::in_read_snapshot(*reads_, [&](Connection& c) { return sqlite::root_at(c, tree_size); });
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<merkle::Hash>> SqliteStore::inclusion_proof(std::int64_t index, std::int64_t tree_size) try {
    return sqlite::in_read_snapshot(*reads_,
                                    [&](Connection& c) { return sqlite::inclusion_proof(c, index, tree_size); });
} catch (...) {
    return sqlite::internal_error();
}

Result<std::vector<merkle::Hash>> SqliteStore::consistency_proof(std::int64_t from, std::int64_t to) try {
    return sqlite::in_read_snapshot(*reads_, [&](Connection& c) { return sqlite::consistency_proof(c, from, to); });
} catch (...) {
    return sqlite::internal_error();
}

Status SqliteStore::rebuild_check() try {
    auto lease = reads_->acquire();
    if (!lease) return lease.error();
    return sqlite::rebuild_check(*lease.value());
} catch (...) {
    return sqlite::internal_error();
}

std::int64_t SqliteStore::commit_count() const { return pipeline_->commit_count(); }

std::size_t SqliteStore::queue_depth() const { return pipeline_->in_flight(); }

std::size_t SqliteStore::sealed_waiting() const { return pipeline_->sealed_waiting(); }

}  // namespace consent::server
