// A thin RAII layer over the SQLite C API: connections, cached prepared
// statements and transactions. Every SQLite failure becomes an error value
// carrying sqlite3_errmsg() (SQLite's messages name tables and constraints,
// never the bound values, so no subject id or secret can leak through them),
// with a code that says whether trying again can help:
// - storage.unavailable: busy, locked, full, read-only, I/O error, cannot open,
//   out of memory (a retryable 503);
// - storage.corrupt: the file is damaged or not a database;
// - storage.sqlite_error: anything else (a constraint, a bug).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "consent/base/result.hpp"

namespace consent::server::sqlite {

// The storage.* code for an SQLite result code (primary or extended).
std::string_view storage_code_for(int result_code);
Error sqlite_error(sqlite3* db);

// One execution of a prepared statement. The compiled statement belongs to the
// connection's cache; destroying this object resets it, which also ends the
// read snapshot it held (a statement left un-reset would pin an old snapshot).
class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite. A failed bind is reported by step().
    Statement& bind(int index, std::string_view text);
    // Without SQLite's copy: the text must stay unchanged until this
    // Statement is destroyed (which resets it and clears its bindings). For
    // the log writer's multi-row INSERTs, whose rows live in the batch.
    Statement& bind_unowned(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_null(int index);
    Statement& bind_blob(int index, const std::uint8_t* data, std::size_t size);

    Result<bool> step();  // true: a row is ready; false: done
    Status run();         // for statements that return no rows

    std::int64_t int64(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;
    std::vector<std::uint8_t> blob(int column) const;  // empty for NULL

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
    int bind_status_ = SQLITE_OK;
};

class Connection {
public:
    // flags as for sqlite3_open_v2. Each connection is used by one thread at a
    // time (the store hands them out), so SQLite's own mutexes are not needed.
    static Result<std::unique_ptr<Connection>> open(const std::string& path, int flags);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Compiled once per connection and SQL text, then reused.
    Result<Statement> prepare(const std::string& sql);
    // Runs SQL text (several statements allowed) that returns no rows.
    Status exec(const char* sql);
    // Runs one statement that returns no rows, through the statement cache:
    // for the BEGIN/SAVEPOINT/RELEASE/COMMIT that every append or batch repeats.
    Status run(const std::string& sql);
    // The first column of the first row of a one-value query (or PRAGMA);
    // no row at all is an error.
    Result<std::string> query_text(const std::string& sql);
    Result<std::int64_t> query_int64(const std::string& sql);
    // False also when SQLite rolled an open transaction back by itself (after
    // SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM and a few others).
    bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

    // Called after each commit on this connection with the WAL's length in
    // frames. It replaces SQLite's automatic checkpoint on this connection for
    // good (which would otherwise copy the WAL back into the file inside the
    // commit): whoever sets it takes over checkpointing.
    using WalHook = std::function<void(int frames)>;
    void on_wal_commit(WalHook hook);
    // A PASSIVE checkpoint: copies what it can without waiting for anyone.
    // Says how long the WAL was and how much of it is now in the file: all of
    // it (copied == frames) lets the next write transaction start the WAL
    // again from its beginning.
    struct CheckpointProgress {
        int frames = 0;
        int copied = 0;
    };
    Result<CheckpointProgress> checkpoint_passive();
    // A RESTART checkpoint: copies the whole WAL, then waits up to wait_ms
    // for the readers still in it, so that the next write transaction starts
    // it again from its beginning; busy_timeout_ms is put back afterwards.
    // Readers that stay longer make it storage.unavailable (busy), with the
    // copying done all the same.
    Result<CheckpointProgress> checkpoint_restart(int wait_ms, int busy_timeout_ms);
    // Flushes the database file (not the WAL) to the disk, through SQLite's
    // own file handle and VFS.
    Status sync_database_file();

private:
    explicit Connection(sqlite3* db) noexcept : db_(db) {}
    static int wal_trampoline(void* self, sqlite3* db, const char* name, int frames);
    Result<CheckpointProgress> checkpoint(int mode);
    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
    WalHook wal_hook_;
};

// BEGIN … COMMIT that rolls back unless committed; also for read snapshots.
class Transaction {
public:
    enum class Mode { deferred, immediate };
    static Result<Transaction> begin(Connection& connection, Mode mode);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status commit();

private:
    explicit Transaction(Connection& connection) noexcept : connection_(&connection) {}
    Connection* connection_;
};

// A named savepoint inside a transaction: one append's writes are undone
// together when any of them fails, without touching the rest of its batch.
class Savepoint {
public:
    static Result<Savepoint> begin(Connection& connection);
    Savepoint(Savepoint&& other) noexcept;
    Savepoint& operator=(Savepoint&&) = delete;
    ~Savepoint();
    Status release();

private:
    explicit Savepoint(Connection& connection) noexcept : connection_(&connection) {}
    Connection* connection_;
};

}  // namespace consent::server::sqlite
