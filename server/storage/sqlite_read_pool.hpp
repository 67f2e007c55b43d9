// Read connections for the SQLite store. WAL lets readers run beside the
// log writer; each connection serves one thread at a time, so a caller leases
// one for the duration of a read and gives it back. The pool grows to the
// peak number of concurrent readers (bounded by the HTTP worker pool).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class ReadPool {
public:
    ReadPool(std::string path, int busy_timeout_ms);

    class Lease {
    public:
        Lease(ReadPool& pool, std::unique_ptr<Connection> connection) noexcept;
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& operator*() const noexcept { return *connection_; }

    private:
        ReadPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    Result<Lease> acquire();

private:
    void give_back(std::unique_ptr<Connection> connection);

    const std::string path_;
    const int busy_timeout_ms_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace consent::server::sqlite
