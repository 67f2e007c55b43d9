#include "storage/sqlite_connection.hpp"

#include <utility>

namespace consent::server::sqlite {

std::string_view storage_code_for(int result_code) {
    switch (result_code & 0xff) {  // the primary code of an extended one
        // The file is busy, locked, full, read-only, unreachable or the machine
        // is out of memory: the same request can succeed later (503, Retry-After).
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_NOMEM:
        case SQLITE_READONLY:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL: return "storage.unavailable";
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: return "storage.corrupt";
        default: return "storage.sqlite_error";
    }
}

Error sqlite_error(sqlite3* db) {
    if (db == nullptr) return make_error("storage.unavailable", "out of memory");
    return make_error(std::string(storage_code_for(sqlite3_extended_errcode(db))), sqlite3_errmsg(db));
}

// --- Statement ---

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_status_(other.bind_status_) {}

Statement::~Statement() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away.
    const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (bind_status_ == SQLITE_OK) bind_status_ = rc;
    return *this;
}

Statement& Statement::bind_unowned(int index, std::string_view text) {
    const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (bind_status_ == SQLITE_OK) bind_status_ = rc;
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (bind_status_ == SQLITE_OK) bind_status_ = rc;
    return *this;
}

Statement& Statement::bind_null(int index) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (bind_status_ == SQLITE_OK) bind_status_ = rc;
    return *this;
}

Statement& Statement::bind_blob(int index, const std::uint8_t* data, std::size_t size) {
    const int rc = sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT);
    if (bind_status_ == SQLITE_OK) bind_status_ = rc;
    return *this;
}

Result<bool> Statement::step() {
    if (bind_status_ != SQLITE_OK) return sqlite_error(db_);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_);
}

Status Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) return row.error();
        if (!*row) return Unit{};
    }
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    if (data == nullptr) return {};
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
    return std::string(reinterpret_cast<const char*>(data), size);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::vector<std::uint8_t> Statement::blob(int column) const {
    // sqlite3_column_blob first: it may convert the value, which changes its size.
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
    if (data == nullptr) return {};
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
    return std::vector<std::uint8_t>(data, data + size);
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error error = sqlite_error(db);
        sqlite3_close_v2(db);  // a handle is returned even on failure, except out of memory
        return error;
    }
    sqlite3_extended_result_codes(db, 1);
    return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
    for (auto& entry : cache_) sqlite3_finalize(entry.second);
    sqlite3_close_v2(db_);
}

void Connection::on_wal_commit(WalHook hook) {
    wal_hook_ = std::move(hook);
    sqlite3_wal_hook(db_, &Connection::wal_trampoline, this);
}

int Connection::wal_trampoline(void* self, sqlite3*, const char*, int frames) {
    // The commit is durable before SQLite calls this: nothing here may fail it.
    try {
        const WalHook& hook = static_cast<Connection*>(self)->wal_hook_;
        if (hook) hook(frames);
    } catch (...) {
    }
    return SQLITE_OK;
}

Status Connection::sync_database_file() {
    sqlite3_file* file = nullptr;
    const int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != SQLITE_OK || file == nullptr || file->pMethods == nullptr)
        return make_error("storage.unavailable", "the database file has no handle to sync");
    const int synced = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
    if (synced != SQLITE_OK)
        return make_error(std::string(storage_code_for(synced)), "syncing the database file failed");
    return Unit{};
}

Result<Connection::CheckpointProgress> Connection::checkpoint(int mode) {
    CheckpointProgress progress;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, mode, &progress.frames, &progress.copied);
    if (rc != SQLITE_OK) return sqlite_error(db_);
    return progress;
}

Result<Connection::CheckpointProgress> Connection::checkpoint_restart(int wait_ms, int busy_timeout_ms) {
    sqlite3_busy_timeout(db_, wait_ms);
    auto progress = checkpoint(SQLITE_CHECKPOINT_RESTART);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    return progress;
}

Result<Connection::CheckpointProgress> Connection::checkpoint_passive() {
    return checkpoint(SQLITE_CHECKPOINT_PASSIVE);
}

Result<Statement> Connection::prepare(const std::string& sql) {
    auto found = cache_.find(sql);
    if (found != cache_.end()) return Statement(db_, found->second);
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()) + 1, SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_);
    cache_.emplace(sql, stmt);
    return Statement(db_, stmt);
}

Status Connection::exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return Unit{};
    Error error = make_error(std::string(storage_code_for(rc)), message != nullptr ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return error;
}

Status Connection::run(const std::string& sql) {
    auto statement = prepare(sql);
    if (!statement) return statement.error();
    return statement.value().run();
}

Result<std::string> Connection::query_text(const std::string& sql) {
    auto statement = prepare(sql);
    if (!statement) return statement.error();
    auto row = statement.value().step();
    if (!row) return row.error();
    if (!*row) return make_error("storage.sqlite_error", "the query returned no row");
    return statement.value().text(0);
}

Result<std::int64_t> Connection::query_int64(const std::string& sql) {
    auto statement = prepare(sql);
    if (!statement) return statement.error();
    auto row = statement.value().step();
    if (!row) return row.error();
    if (!*row) return make_error("storage.sqlite_error", "the query returned no row");
    return statement.value().int64(0);
}

// --- Transaction ---

Result<Transaction> Transaction::begin(Connection& connection, Mode mode) {
    auto begun = connection.run(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun) return begun.error();
    return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
    // Also after a failed COMMIT: SQLite may leave the transaction open (BUSY).
    if (connection_ != nullptr) (void)connection_->exec("ROLLBACK");
}

Status Transaction::commit() {
    auto committed = connection_->run("COMMIT");
    if (committed) connection_ = nullptr;
    return committed;
}

// --- Savepoint ---

Result<Savepoint> Savepoint::begin(Connection& connection) {
    auto begun = connection.run("SAVEPOINT one_append");
    if (!begun) return begun.error();
    return Savepoint(connection);
}

Savepoint::Savepoint(Savepoint&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}

Savepoint::~Savepoint() {
    // ROLLBACK TO undoes the writes but keeps the savepoint; RELEASE then drops it.
    if (connection_ != nullptr) (void)connection_->exec("ROLLBACK TO one_append; RELEASE one_append");
}

Status Savepoint::release() {
    auto released = connection_->run("RELEASE one_append");
    if (released) connection_ = nullptr;
    return released;
}

}  // namespace consent::server::sqlite
