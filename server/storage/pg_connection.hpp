// One libpq connection to PostgreSQL, and the results it returns, for the
// PostgreSQL receipt store (pg_store.hpp). Parameters go as text, bound by
// libpq ($1, $2, …), never spliced into SQL; bytea comes back in hex form.
//
// Errors say whether a retry can help (receipt_store.hpp's rule): a lost or
// refused connection, a server shutting down or restarting, too many clients,
// a serialization failure or deadlock is storage.unavailable (503, retry);
// anything else PostgreSQL refuses is storage.pg_error. A broken connection
// stays broken: its owner drops it and connects again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "consent/base/result.hpp"

struct pg_conn;
struct pg_result;

namespace consent::server::pg {

// A parameter: text, or SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

inline Param param(const std::string& text) { return text; }
inline Param param(std::int64_t value) { return std::to_string(value); }
// A PostgreSQL text[] literal of the values ({"a","b"}), for = ANY($1) and unnest($1).
Param text_array(const std::vector<std::string>& values);
Param int_array(const std::vector<std::int64_t>& values);
// bytea input in hex form (\x…).
Param bytea(const std::uint8_t* data, std::size_t size);

class Rows {
public:
    explicit Rows(pg_result* result);
    Rows(Rows&&) noexcept;
    Rows& operator=(Rows&&) noexcept;
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;
    ~Rows();

    int size() const;
    bool is_null(int row, int column) const;
    std::string text(int row, int column) const;
    std::int64_t int64(int row, int column) const;  // 0 for NULL or text that is no integer
    // A bytea column (hex output); nullopt for NULL or malformed text.
    std::optional<std::vector<std::uint8_t>> bytes(int row, int column) const;

private:
    pg_result* result_;
};

class Connection {
public:
    // Connects (storage.unavailable when the server cannot be reached).
    static Result<std::unique_ptr<Connection>> open(const std::string& url);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // One statement with parameters; its rows (none for a command). A SELECT,
    // INSERT, UPDATE or DELETE is prepared on its first use on this connection
    // and executed by name after that: PostgreSQL parses and plans it once, not
    // per receipt (the store's SQL texts are a small fixed set).
    Result<Rows> query(const std::string& sql, const Params& params = {});
    Status run(const std::string& sql, const Params& params = {});
    // Several statements without parameters (schema, BEGIN … ).
    Status exec_script(const std::string& sql);

    // The connection was lost (or the server refused it): drop it.
    bool broken() const;
    // LISTEN support: the socket to poll, and the notifications received.
    int socket() const;
    struct Notification {
        std::string channel;
        std::string payload;
    };
    Result<std::vector<Notification>> take_notifications();

private:
    explicit Connection(pg_conn* conn) : conn_(conn) {}
    Error error_of(pg_result* result) const;
    // The prepared statement's name for sql, preparing it first; "" for SQL that is run unprepared.
    Result<std::string> prepared(const std::string& sql, int params);
    pg_conn* conn_;
    std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// A refusal's message ends with its SQLSTATE in brackets: the writer tells a
// decision id taken by another replica (unique_violation, 23505) from the rest.
inline bool is_unique_violation(const Error& error) {
    return error.code == "storage.pg_error" && error.message.find("[23505]") != std::string::npos;
}

// BEGIN … COMMIT on one connection; rolls back when it goes out of scope uncommitted.
class Transaction {
public:
    static Result<Transaction> begin(Connection& connection, const char* begin_sql = "BEGIN");
    Transaction(Transaction&& other) noexcept : connection_(other.connection_) { other.connection_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    ~Transaction();
    Status commit();

private:
    explicit Transaction(Connection& connection) : connection_(&connection) {}
    Connection* connection_;
};

inline Error internal_error() { return make_error("storage.internal", "unexpected failure in the PostgreSQL store"); }

}  // namespace consent::server::pg
