#include "storage/sqlite_wal_checkpointer.hpp"

#include <pthread.h>

#include <utility>

#include "storage/sqlite_schema.hpp"

namespace consent::server::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path, int busy_timeout_ms,
                                                                int threshold, int restart_at) {
    auto connection = Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    if (!connection) return connection.error();
    // A reader's settings suffice: a checkpoint writes pages the WAL already
    // holds, and this connection never writes a transaction of its own.
    auto configured = configure_connection(*connection.value(), Role::reader, busy_timeout_ms);
    if (!configured) return configured.error();
    return std::unique_ptr<WalCheckpointer>(
        new WalCheckpointer(std::move(connection.value()), threshold < 1 ? 1 : threshold, restart_at));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> connection, int threshold, int restart_at)
    : connection_(std::move(connection)), threshold_(threshold), restart_at_(restart_at), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

bool WalCheckpointer::writer_checkpoints_now(int frames) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (frames < last_frames_) {
        round_complete_ = false;  // the WAL started again: what a round saw is gone
        finish_after_ = 0;
        ++restarts_;
    }
    last_frames_ = frames;
    if (frames > longest_) longest_ = frames;
    // Past the limit too, a finish that found a reader in the WAL is not
    // tried again at every commit (each would wait kRestartWaitMs for it).
    if (frames >= kLimit && frames >= finish_after_) return true;
    if (frames < threshold_ || running_) return false;
    if (round_complete_ && frames - round_frames_ <= kFinish && frames >= finish_after_) return true;
    wanted_ = true;
    wake_.notify_one();
    return false;
}

void WalCheckpointer::writer_checkpointed(bool succeeded) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++writer_rounds_;
    round_complete_ = false;  // done: the next transaction starts the WAL again
    // A reader stayed in the WAL (or this thread was copying): tried again
    // after a quarter of restart_at more frames, not at every commit.
    if (!succeeded) finish_after_ = last_frames_ + restart_at_ / 4;
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return Stats{done_.load(), writer_rounds_, restarts_, longest_};
}

void WalCheckpointer::run() {
    pthread_setname_np(pthread_self(), "consentd-wal");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return wanted_ || stopping_; });
        if (stopping_) return;
        wanted_ = false;
        running_ = true;
        lock.unlock();
        // A failure is tried again at the next commit past the threshold; the
        // writer's own checkpoint past kLimit is the bound if it keeps failing.
        auto progress = connection_->checkpoint_passive();
        const bool whole = progress && progress->copied == progress->frames;
        // SQLite syncs the file only after a checkpoint that copied the
        // whole WAL, which under steady writes is the writer's short one:
        // synced here, the pages this round copied are not what that sync
        // waits for (measured: 3-10 ms of the writer's time otherwise).
        const bool finish = whole && progress->frames >= restart_at_ && connection_->sync_database_file().ok();
        lock.lock();
        running_ = false;
        if (!progress) {
            ++failed_;
            continue;
        }
        ++done_;
        // Not a round of a WAL that started again since (its frames are gone).
        round_frames_ = progress->frames;
        round_complete_ = finish && progress->frames <= last_frames_;
    }
}

}  // namespace consent::server::sqlite
