// Connections to one PostgreSQL database, leased one thread at a time. A
// connection found broken when its lease ends is closed, not returned, so a
// restarted server is reached again by the next lease (replicas reconnect by
// themselves); while it is down, acquire() is storage.unavailable.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "storage/pg_connection.hpp"

namespace consent::server::pg {

class Pool {
public:
    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection) : pool_(&pool), connection_(std::move(connection)) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease() {
            if (connection_) pool_->give_back(std::move(connection_));
        }
        Connection& operator*() const { return *connection_; }
        Connection* operator->() const { return connection_.get(); }

    private:
        Pool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    Pool(std::string url, std::size_t max_idle) : url_(std::move(url)), max_idle_(max_idle) {}
    Result<Lease> acquire();
    const std::string& url() const { return url_; }

private:
    void give_back(std::unique_ptr<Connection> connection);

    const std::string url_;
    const std::size_t max_idle_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

// read(connection) -> Result<T> in one read-only REPEATABLE READ transaction:
// every query sees the same committed state (a proof and the size it is for).
template <class Read>
auto in_snapshot(Pool& pool, Read read) -> decltype(read(std::declval<Connection&>())) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto snapshot = Transaction::begin(**lease, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!snapshot) return snapshot.error();
    return read(**lease);
}

// The one query on a leased connection.
Result<Rows> query(Pool& pool, const std::string& sql, const Params& params = {});

}  // namespace consent::server::pg
