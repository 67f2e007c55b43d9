#include "storage/pg_pool.hpp"

namespace consent::server::pg {

Result<Pool::Lease> Pool::acquire() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
    }
    auto opened = Connection::open(url_);
    if (!opened) return opened.error();
    return Lease(*this, std::move(opened.value()));
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
    if (connection->broken()) return;  // closed here; the next lease connects anew
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

Result<Rows> query(Pool& pool, const std::string& sql, const Params& params) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    return (*lease)->query(sql, params);
}

}  // namespace consent::server::pg
