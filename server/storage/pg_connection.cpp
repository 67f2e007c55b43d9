#include "storage/pg_connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace consent::server::pg {
namespace {

// SQLSTATE classes and codes a retry can get past (PostgreSQL Appendix A):
// 08 connection exceptions, 53 insufficient resources, 57P01..03 shutdown and
// "cannot connect now" (a restart), 40001 serialization, 40P01 deadlock,
// 55P03 lock not available.
bool retryable_state(const std::string& state) {
    if (state.size() != 5) return false;
    const std::string cls = state.substr(0, 2);
    return cls == "08" || cls == "53" || state == "57P01" || state == "57P02" || state == "57P03" || state == "40001" ||
           state == "40P01" || state == "55P03";
}

std::string one_line(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

void append_quoted(std::string& out, const std::string& value) {
    out.push_back('"');
    for (const char c : value) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Param text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_quoted(out, values[i]);
    }
    out.push_back('}');
    return out;
}

Param int_array(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) out.push_back(',');
        out += std::to_string(values[i]);
    }
    out.push_back('}');
    return out;
}

Param bytea(const std::uint8_t* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out = "\\x";
    out.reserve(2 + size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 15]);
    }
    return out;
}

Rows::Rows(pg_result* result) : result_(result) {}
Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Rows& Rows::operator=(Rows&& other) noexcept {
    if (this != &other) {
        if (result_ != nullptr) PQclear(result_);
        result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
}
Rows::~Rows() {
    if (result_ != nullptr) PQclear(result_);
}

int Rows::size() const { return result_ == nullptr ? 0 : PQntuples(result_); }
bool Rows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string Rows::text(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}
std::int64_t Rows::int64(int row, int column) const {
    if (is_null(row, column)) return 0;
    return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

std::optional<std::vector<std::uint8_t>> Rows::bytes(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    const std::string hex = text(row, column);
    if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x' || hex.size() % 2 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve((hex.size() - 2) / 2);
    for (std::size_t i = 2; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]);
        const int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& url) {
    pg_conn* conn = PQconnectdb(url.c_str());
    if (conn == nullptr) return make_error("storage.unavailable", "PostgreSQL: out of memory while connecting");
    if (PQstatus(conn) != CONNECTION_OK) {
        // Never echo the URL: it may carry a password.
        const std::string message = one_line(PQerrorMessage(conn));
        PQfinish(conn);
        return make_error("storage.unavailable", "PostgreSQL cannot be reached: " + message);
    }
    // Receipts and ids are UTF-8 text; consentd's times are integers, so no time zone matters.
    auto connection = std::unique_ptr<Connection>(new Connection(conn));
    if (auto set = connection->exec_script("SET client_encoding = 'UTF8'; SET client_min_messages = warning"); !set)
        return set.error();
    return connection;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

Error Connection::error_of(pg_result* result) const {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const std::string message =
        one_line(result != nullptr && PQresultErrorMessage(result)[0] != '\0' ? PQresultErrorMessage(result)
                                                                              : PQerrorMessage(conn_));
    if (broken() || sqlstate.empty() || retryable_state(sqlstate))
        return make_error("storage.unavailable", "PostgreSQL is unavailable: " + message);
    return make_error("storage.pg_error", "PostgreSQL refused: " + message + " [" + sqlstate + "]");
}

namespace {

// Only these can be prepared (PostgreSQL's PREPARE); DECLARE, FETCH and the rest run as they are.
bool preparable(const std::string& sql) {
    for (const char* head : {"SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "})
        if (sql.rfind(head, 0) == 0) return true;
    return false;
}

// More distinct texts than the store has would mean SQL built per call: stop caching then.
constexpr std::size_t kMaxPrepared = 256;

}  // namespace

Result<std::string> Connection::prepared(const std::string& sql, int params) {
    if (!preparable(sql)) return std::string();
    const auto found = prepared_.find(sql);
    if (found != prepared_.end()) return found->second;
    if (prepared_.size() >= kMaxPrepared) return std::string();
    const std::string name = "consent_" + std::to_string(prepared_.size());
    pg_result* result = PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr);
    Rows cleared(result);
    if (result == nullptr || PQresultStatus(result) != PGRES_COMMAND_OK) return error_of(result);
    prepared_.emplace(sql, name);
    return name;
}

Result<Rows> Connection::query(const std::string& sql, const Params& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const int count = static_cast<int>(values.size());
    auto name = prepared(sql, count);
    if (!name) return name.error();
    pg_result* result = name->empty()
                            ? PQexecParams(conn_, sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0)
                            : PQexecPrepared(conn_, name->c_str(), count, values.data(), nullptr, nullptr, 0);
    Rows rows(result);
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return error_of(result);
    return rows;
}

Status Connection::run(const std::string& sql, const Params& params) {
    auto rows = query(sql, params);
    if (!rows) return rows.error();
    return Unit{};
}

Status Connection::exec_script(const std::string& sql) {
    pg_result* result = PQexec(conn_, sql.c_str());
    Rows rows(result);  // cleared on return
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return error_of(result);
    return Unit{};
}

int Connection::socket() const { return PQsocket(conn_); }

Result<std::vector<Connection::Notification>> Connection::take_notifications() {
    if (PQconsumeInput(conn_) == 0) return error_of(nullptr);
    std::vector<Notification> out;
    while (PGnotify* n = PQnotifies(conn_)) {
        out.push_back(Notification{n->relname, n->extra != nullptr ? n->extra : ""});
        PQfreemem(n);
    }
    return out;
}

Result<Transaction> Transaction::begin(Connection& connection, const char* begin_sql) {
    if (auto begun = connection.exec_script(begin_sql); !begun) return begun.error();
    return Transaction(connection);
}

Transaction::~Transaction() {
    if (connection_ != nullptr && !connection_->broken()) (void)connection_->exec_script("ROLLBACK");
}

Status Transaction::commit() {
    Connection* connection = std::exchange(connection_, nullptr);
    return connection->exec_script("COMMIT");
}

}  // namespace consent::server::pg
