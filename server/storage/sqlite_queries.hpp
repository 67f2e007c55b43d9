// Small query patterns shared by the SQLite store's files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/sqlite_read_pool.hpp"

namespace consent::server::sqlite {

// What the interface returns when an exception (out of memory, say) ends an
// operation: the interface never throws.
inline Error internal_error() { return make_error("storage.internal", "unexpected failure in the SQLite store"); }

// Every row of sql on a leased read connection: bind(Statement&) sets the
// parameters, read(const Statement&) returns std::optional<Row>. Each call is
// its own read snapshot. A failure is an error, never a shorter answer: an
// SQLite fault is storage.unavailable/storage.sqlite_error (see
// sqlite_connection.hpp) and a row read cannot read is storage.corrupt_row,
// so no caller mistakes a fault for "nothing stored".
template <class Row, class Bind, class Read>
Result<std::vector<Row>> read_rows(ReadPool& pool, const std::string& sql, Bind bind, Read read) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto statement = (*lease.value()).prepare(sql);  // reset before the lease returns
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    bind(rows);
    std::vector<Row> out;
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return out;
        auto value = read(static_cast<const Statement&>(rows));
        if (!value) return make_error("storage.corrupt_row", "a stored row does not read back");
        out.push_back(std::move(*value));
    }
}

// The one row of a lookup by key: storage.not_found when there is none.
template <class Row>
Result<Row> only_row(Result<std::vector<Row>> rows, const char* what) {
    if (!rows) return rows.error();
    if (rows->empty()) return make_error("storage.not_found", std::string("no such ") + what);
    return std::move(rows.value().front());
}

// read(connection) -> Result<T> on a leased read connection inside one read
// transaction: all its queries see the same committed state (the log's size
// and the nodes a proof is built from, say). The transaction rolls back, then
// the lease returns, after the result is made.
template <class Read>
auto in_read_snapshot(ReadPool& pool, Read read) -> decltype(read(std::declval<Connection&>())) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto snapshot = Transaction::begin(*lease.value(), Transaction::Mode::deferred);
    if (!snapshot) return snapshot.error();
    return read(*lease.value());
}

// Whether sql (after bind) returns a row.
template <class Bind>
Result<bool> has_row(Connection& connection, const std::string& sql, Bind bind) {
    auto statement = connection.prepare(sql);
    if (!statement) return statement.error();
    bind(statement.value());
    return statement.value().step();
}

// BEGIN IMMEDIATE; write(connection) -> Status; COMMIT, or roll back on error.
template <class Write>
Status in_transaction(Connection& connection, Write write) {
    auto transaction = Transaction::begin(connection, Transaction::Mode::immediate);
    if (!transaction) return transaction.error();
    auto written = write(connection);
    if (!written) return written;
    return transaction.value().commit();
}

}  // namespace consent::server::sqlite
