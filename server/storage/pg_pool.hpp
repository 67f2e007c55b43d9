// Connections to one PostgreSQL database, leased one thread at a time. A
// connection found broken when its lease ends is closed, not returned, so a
// restarted server is reached again by the next lease (replicas reconnect by
// themselves); while it is down, acquire() is storage.unavailable.
// At most max_connections are open; a lease beyond them waits for one to come
// back (storage.unavailable after kLeaseWaitMs). Connections are kept open,
// never closed when idle: a PostgreSQL connection costs a server process
// (milliseconds to start), and closing the ones above a small idle bound
// under load made every receipt pay for one (measured: 570 receipts/s).
#pragma once

#include <condition_variable>
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

    static constexpr int kLeaseWaitMs = 10000;

    Pool(std::string url, std::size_t max_connections)
        : url_(std::move(url)), max_connections_(max_connections == 0 ? 1 : max_connections) {}
    Result<Lease> acquire();
    const std::string& url() const { return url_; }

private:
    void give_back(std::unique_ptr<Connection> connection);

    const std::string url_;
    const std::size_t max_connections_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::size_t open_ = 0;  // idle or leased
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
