#include "storage/sqlite_read_pool.hpp"

#include <utility>

#include "storage/memory_only.hpp"
#include "storage/sqlite_schema.hpp"

namespace consent::server::sqlite {

ReadPool::ReadPool(std::string path, int busy_timeout_ms) : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}

ReadPool::Lease::Lease(ReadPool& pool, std::unique_ptr<Connection> connection) noexcept
    : pool_(&pool), connection_(std::move(connection)) {}

ReadPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}

ReadPool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_));
}

Result<ReadPool::Lease> ReadPool::acquire() {
    if (refuse_storage_io()) return make_error("storage.unavailable", "no file reads on the connection loop");
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
    }
    // Opened outside the lock: opening touches the file and may wait.
    auto opened = Connection::open(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (!opened) return opened.error();
    auto configured = configure_connection(*opened.value(), Role::reader, busy_timeout_ms_);
    if (!configured) return configured.error();
    return Lease(*this, std::move(opened.value()));
}

void ReadPool::give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        idle_.push_back(std::move(connection));
    } catch (...) {
        // Out of memory in a destructor: close this connection instead of keeping it.
    }
}

}  // namespace consent::server::sqlite
