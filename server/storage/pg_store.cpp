// PgStore: opening, appends, the receipt/state reads and the Merkle reads.
// Sites, notices and API keys are in pg_store_config.cpp.
#include "storage/pg_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "storage/append_pipeline.hpp"
#include "storage/pg_append_backend.hpp"
#include "storage/pg_checkpoints.hpp"
#include "storage/pg_log_writer.hpp"
#include "storage/pg_merkle.hpp"
#include "storage/pg_pool.hpp"
#include "storage/pg_rows.hpp"
#include "storage/pg_schema.hpp"
#include "storage/recorded_decision.hpp"
#include "storage/sqlite_rows.hpp"

namespace consent::server {
namespace {

using pg::param;

std::int64_t as_sql_limit(std::size_t limit) {
    const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(limit, max));
}

Result<Checkpoint> found_checkpoint(Result<std::optional<Checkpoint>> found) {
    if (!found) return found.error();
    if (!*found) return make_error("storage.not_found", "no checkpoint of that size");
    return std::move(*found.value());
}

}  // namespace

bool is_postgresql_url(const std::string& database) {
    return database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url, std::function<std::int64_t()> clock,
                                               const PgOptions& options) try {
    if (!clock) return make_error("storage.invalid_argument", "the store needs a clock");
    auto pool = std::make_unique<pg::Pool>(url, options.connections);
    {
        auto lease = pool->acquire();
        if (!lease) return lease.error();
        if (auto migrated = pg::migrate_schema(**lease); !migrated) return migrated.error();
    }
    auto writer = std::make_unique<pg::LogWriter>(url, clock);
    std::unique_ptr<PgStore> store(new PgStore(std::move(pool), std::move(writer)));
    auto pipeline = AppendPipeline::start(*store->backend_, std::move(clock), options.max_batch);
    if (!pipeline) return pipeline.error();
    store->pipeline_ = std::move(pipeline.value());
    return store;
} catch (...) {
    return pg::internal_error();
}

PgStore::PgStore(std::unique_ptr<pg::Pool> pool, std::unique_ptr<pg::LogWriter> writer)
    : pool_(std::move(pool)),
      writer_(std::move(writer)),
      backend_(std::make_unique<pg::AppendBackendImpl>(*writer_, *pool_)) {}

PgStore::~PgStore() { pipeline_.reset(); }

Result<AppendOutcome> PgStore::append(AppendRequest request) try {
    // The decision as the receipts table keeps it, checked to read back: the
    // same rule as the SQLite file's (one place: sqlite_rows.hpp).
    auto decision_json = sqlite::recorded_decision_json(request.decision);
    if (!decision_json) return decision_json.error();
    return pipeline_->append(request, decision_json.value());
} catch (...) {
    return pg::internal_error();
}

Result<SubjectState> PgStore::subject_state(const std::string& site_id, const std::string& subject_id) try {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    return pg::load_state(**lease, site_id, subject_id);
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<StoredReceipt>> PgStore::subject_receipts(const std::string& site_id,
                                                             const std::string& subject_id) try {
    return pg::receipts(*pool_, pg::select_receipts("WHERE site_id = $1 AND subject_id = $2 ORDER BY log_index"),
                        {param(site_id), param(subject_id)});
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<StoredReceipt>> PgStore::receipts_after(const std::string& site_id, std::int64_t after,
                                                           std::size_t limit) try {
    return pg::receipts(
        *pool_, pg::select_receipts("WHERE site_id = $1 AND log_index > $2 AND jws <> '' ORDER BY log_index LIMIT $3"),
        {param(site_id), param(after), param(as_sql_limit(limit))});
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<StoredReceipt>> PgStore::log_receipts(std::int64_t after, std::size_t limit) try {
    return pg::receipts(*pool_, pg::select_receipts("WHERE log_index > $1 ORDER BY log_index LIMIT $2"),
                        {param(after), param(as_sql_limit(limit))});
} catch (...) {
    return pg::internal_error();
}

// Served by receipts_by_time (site_id, server_time, log_index), in its order.
Result<std::vector<StoredReceipt>> PgStore::receipts_in_time(const std::string& site_id, TimePosition after,
                                                             std::int64_t until, std::size_t limit) try {
    return pg::receipts(
        *pool_,
        pg::select_receipts("WHERE site_id = $1 AND (server_time, log_index) > ($2, $3) "
                            "AND server_time < $4 AND subject_id <> '#erasure' ORDER BY server_time, log_index "
                            "LIMIT $5"),
        {param(site_id), param(after.server_time), param(after.log_index), param(until), param(as_sql_limit(limit))});
} catch (...) {
    return pg::internal_error();
}

Result<std::int64_t> PgStore::receipt_count() try {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    return pg::log_size(**lease);  // the writers keep it equal to the gapless log's length
} catch (...) {
    return pg::internal_error();
}

Result<std::int64_t> PgStore::site_log_head(const std::string& site_id) try {
    auto rows =
        pg::query(*pool_, "SELECT COALESCE(MAX(log_index), -1) FROM receipts WHERE site_id = $1", {param(site_id)});
    if (!rows) return rows.error();
    return rows->int64(0, 0);
} catch (...) {
    return pg::internal_error();
}

// The page's subjects first (DISTINCT, LIMIT), then all their receipts up to
// the index in (subject, log) order, both through receipts_by_subject; the
// core folds each recorded decision, as rebuild_check does. Erased rows
// (subject '') sort before every subject; erasure receipts are no subject's.
Result<std::vector<SubjectSnapshot>> PgStore::states_at(const std::string& site_id, std::int64_t at,
                                                        const std::string& after_subject, std::size_t limit) try {
    auto rows = pg::query(
        *pool_,
        "SELECT subject_id, log_index, receipt_id, server_time, decision FROM receipts "
        "WHERE site_id = $1 AND subject_id > $2 AND log_index <= $3 AND subject_id IN ("
        "  SELECT DISTINCT subject_id FROM receipts WHERE site_id = $1 AND subject_id > $2 AND log_index <= $3"
        "  AND subject_id <> '#erasure' ORDER BY subject_id LIMIT $4) "
        "ORDER BY subject_id, log_index",
        {param(site_id), param(after_subject), param(at), param(as_sql_limit(limit))});
    if (!rows) return rows.error();
    std::vector<SubjectSnapshot> out;
    for (int r = 0; r < rows->size(); ++r) {
        const std::string subject = rows->text(r, 0);
        if (out.empty() || out.back().subject_id != subject) out.push_back(SubjectSnapshot{subject, {}, -1});
        auto folded = fold_recorded_decision(out.back().state, rows->text(r, 4), rows->int64(r, 3), rows->text(r, 2));
        if (!folded) return folded.error();
        out.back().last_index = rows->int64(r, 1);
    }
    return out;
} catch (...) {
    return pg::internal_error();
}

void PgStore::set_checkpoint_signer(CheckpointSigner signer) { writer_->set_checkpoint_signer(std::move(signer)); }

Result<Checkpoint> PgStore::latest_checkpoint() try {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    return found_checkpoint(pg::latest_checkpoint(**lease));
} catch (...) {
    return pg::internal_error();
}

Result<Checkpoint> PgStore::checkpoint_at(std::int64_t tree_size) try {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    return found_checkpoint(pg::checkpoint_at(**lease, tree_size));
} catch (...) {
    return pg::internal_error();
}

namespace {

// No snapshot needed: the size is checked first, the log only grows and a
// stored node never changes, so every node of a tree no larger than the size
// read is there for the query that follows (one round trip less per receipt's proof).
template <class Read>
auto on_lease(pg::Pool& pool, Read read) -> decltype(read(std::declval<pg::Connection&>())) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    return read(**lease);
}

}  // namespace

Result<merkle::Hash> PgStore::root_at(std::int64_t tree_size) try {
    return on_lease(*pool_, [&](pg::Connection& c) { return pg::root_at(c, tree_size); });
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<merkle::Hash>> PgStore::inclusion_proof(std::int64_t index, std::int64_t tree_size) try {
    return on_lease(*pool_, [&](pg::Connection& c) { return pg::inclusion_proof(c, index, tree_size); });
} catch (...) {
    return pg::internal_error();
}

Result<std::vector<merkle::Hash>> PgStore::consistency_proof(std::int64_t from, std::int64_t to) try {
    return on_lease(*pool_, [&](pg::Connection& c) { return pg::consistency_proof(c, from, to); });
} catch (...) {
    return pg::internal_error();
}

std::int64_t PgStore::commit_count() const { return pipeline_->commit_count(); }

// This replica's only: a decision being written through another replica is
// not known here until its commit (then the state read has it).
std::vector<Decision> PgStore::pending_decisions(const std::string& site_id, const std::string& subject_id) {
    return pipeline_->pending_decisions(site_id, subject_id);
}

std::size_t PgStore::queue_depth() const { return pipeline_->in_flight(); }

}  // namespace consent::server
