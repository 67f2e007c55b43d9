#include "storage/sqlite_wal_checkpointer.hpp"

#include <pthread.h>

#include <utility>

#include "storage/sqlite_schema.hpp"

namespace consent::server::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path, int busy_timeout_ms,
                                                                int threshold) {
    auto connection = Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    if (!connection) return connection.error();
    // A reader's settings suffice: a checkpoint writes pages the WAL already
    // holds, and this connection never writes a transaction of its own.
    auto configured = configure_connection(*connection.value(), Role::reader, busy_timeout_ms);
    if (!configured) return configured.error();
    return std::unique_ptr<WalCheckpointer>(
        new WalCheckpointer(std::move(connection.value()), threshold < 1 ? 1 : threshold));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> connection, int threshold)
    : connection_(std::move(connection)), threshold_(threshold), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

bool WalCheckpointer::committed(int frames) {
    if (frames >= kLimit) return false;
    if (frames < threshold_) return true;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wanted_ = true;
    }
    wake_.notify_one();
    return true;
}

void WalCheckpointer::run() {
    pthread_setname_np(pthread_self(), "consentd-wal");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return wanted_ || stopping_; });
        if (stopping_) return;
        wanted_ = false;
        lock.unlock();
        // A failure is tried again at the next commit past the threshold; the
        // writer's own checkpoint past kLimit is the bound if it keeps failing.
        if (connection_->checkpoint_passive()) ++done_;
        else ++failed_;
        lock.lock();
    }
}

}  // namespace consent::server::sqlite
