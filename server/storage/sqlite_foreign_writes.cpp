#include "storage/sqlite_foreign_writes.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "storage/sqlite_schema.hpp"

namespace consent::server::sqlite {
namespace {

struct FileLook {
    std::int64_t log_size = 0;
    std::string keys;  // "<keys>/<revoked keys>"
};

Result<FileLook> look_at(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT (SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts), (SELECT COUNT(*) FROM api_keys), "
        "(SELECT COUNT(revoked_at) FROM api_keys)");
    if (!statement) return statement.error();
    auto row = statement.value().step();
    if (!row) return row.error();
    if (!*row) return make_error("storage.sqlite_error", "the query returned no row");
    const Statement& s = statement.value();
    return FileLook{s.int64(0), std::to_string(s.int64(1)) + "/" + std::to_string(s.int64(2))};
}

}  // namespace

Result<std::unique_ptr<ForeignWriteWatch>> ForeignWriteWatch::start(const std::string& path, int busy_timeout_ms,
                                                                    ForeignWriteTargets targets,
                                                                    std::chrono::milliseconds period) {
    auto connection = Connection::open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (!connection) return connection.error();
    auto configured = configure_connection(*connection.value(), Role::reader, busy_timeout_ms);
    if (!configured) return configured.error();
    // The keys as they are before anything is cached: a revocation after this
    // is a change the first look sees.
    auto first = look_at(*connection.value());
    if (!first) return first.error();
    std::unique_ptr<ForeignWriteWatch> watch(new ForeignWriteWatch(std::move(connection.value()), std::move(targets),
                                                                   std::max(period, std::chrono::milliseconds(1))));
    watch->keys_seen_ = first->keys;
    watch->thread_ = std::thread([w = watch.get()] { w->run(); });
    return watch;
}

ForeignWriteWatch::ForeignWriteWatch(std::unique_ptr<Connection> connection, ForeignWriteTargets targets,
                                     std::chrono::milliseconds period)
    : connection_(std::move(connection)), targets_(std::move(targets)), period_(period) {}

ForeignWriteWatch::~ForeignWriteWatch() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ForeignWriteWatch::run() {
    pthread_setname_np(pthread_self(), "consentd-watch");
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, period_, [&] { return stopping_; })) {
        lock.unlock();
        look();
        lock.lock();
    }
}

void ForeignWriteWatch::look() {
    auto file = look_at(*connection_);
    if (!file) return;  // busy or failing: looked at again next period
    // Ours after the file's: a commit of this process between the two then
    // counts as ours, so a busy writer causes no drop. It cannot hide another
    // process's receipt: this writer's log passes one only through load_log,
    // which drops the states before it says where the log ends.
    const std::int64_t ours = targets_.committed_size();
    if (file->log_size > std::max(ours, dropped_for_)) {
        dropped_for_ = file->log_size;
        targets_.drop_states();
        ++states_dropped_;
    }
    if (file->keys != keys_seen_) {
        keys_seen_ = file->keys;
        targets_.drop_keys();
        ++keys_dropped_;
    }
}

void wait_for_running_consentd() {
    std::this_thread::sleep_for(ForeignWriteWatch::kPeriod * 2 + std::chrono::milliseconds(10));
}

}  // namespace consent::server::sqlite
