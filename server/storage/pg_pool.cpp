#include "storage/pg_pool.hpp"

#include <chrono>

#include "storage/memory_only.hpp"

namespace consent::server::pg {

Result<Pool::Lease> Pool::acquire() {
    if (refuse_storage_io()) return make_error("storage.unavailable", "no database reads on the connection loop");
    {
        std::unique_lock<std::mutex> lock(mutex_);
        const bool free = returned_.wait_for(lock, std::chrono::milliseconds(kLeaseWaitMs),
                                             [&] { return !idle_.empty() || open_ < max_connections_; });
        if (!free) return make_error("storage.unavailable", "every PostgreSQL connection of this replica is busy");
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
        ++open_;  // taken before connecting, so that the bound holds while it connects
    }
    auto opened = Connection::open(url_);
    if (!opened) {
        std::lock_guard<std::mutex> lock(mutex_);
        --open_;
        returned_.notify_one();
        return opened.error();
    }
    return Lease(*this, std::move(opened.value()));
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (connection->broken()) --open_;  // closed here; the next lease connects anew
    else idle_.push_back(std::move(connection));
    returned_.notify_one();
}

Result<Rows> query(Pool& pool, const std::string& sql, const Params& params) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    return (*lease)->query(sql, params);
}

}  // namespace consent::server::pg
