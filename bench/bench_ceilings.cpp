#include "bench_ceilings.hpp"

#include <sys/socket.h>

#include <sodium.h>
#include <sqlite3.h>

#include <array>
#include <stdexcept>

#include <httplib.h>

#include "bench_load.hpp"

namespace consent::bench {
namespace {

// Exposes the listening socket so it can listen again with a real backlog, as
// consentd's HttpServer does (Debian's 0.11 listens with 5 and has no setter).
class ListeningServer : public httplib::Server {
public:
    int listening_socket() const { return static_cast<int>(svr_sock_); }
};

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// Commits one INSERT per transaction until the deadline; the timed loop of the SQLite ceiling.
CeilingResult timed_inserts(sqlite3* db, sqlite3_stmt* insert, std::chrono::milliseconds duration,
                            std::size_t max_commits) {
    static const std::string row(64, 'r');  // a small row: the cost is the commit, not the data
    CeilingResult result;
    const auto start = Clock::now();
    const auto deadline = start + duration;
    std::size_t commits = 0;
    while (commits < max_commits && Clock::now() < deadline) {
        const auto before = Clock::now();
        sqlite3_bind_text(insert, 1, row.data(), static_cast<int>(row.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(insert);  // autocommit: one transaction, one WAL fsync
        sqlite3_reset(insert);
        if (rc != SQLITE_DONE) throw std::runtime_error(std::string("sqlite ceiling: ") + sqlite3_errmsg(db));
        result.latencies_ms.push_back(milliseconds_between(before, Clock::now()));
        ++commits;
    }
    result.per_second = static_cast<double>(commits) / (milliseconds_between(start, Clock::now()) / 1000.0);
    return result;
}

}  // namespace

CeilingResult ed25519_signatures(const std::string& message, std::chrono::milliseconds duration,
                                 std::size_t max_signatures) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium cannot initialize");
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
    crypto_sign_keypair(public_key.data(), secret_key.data());
    std::array<unsigned char, crypto_sign_BYTES> signature{};
    const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
    const auto start = Clock::now();
    const auto deadline = start + duration;
    std::size_t signed_count = 0;
    // The clock is read every 64 signatures: a signature takes about 14 µs.
    while (signed_count < max_signatures && Clock::now() < deadline) {
        for (int i = 0; i < 64; ++i, ++signed_count)
            crypto_sign_detached(signature.data(), nullptr, bytes, message.size(), secret_key.data());
    }
    CeilingResult result;
    result.per_second = static_cast<double>(signed_count) / (milliseconds_between(start, Clock::now()) / 1000.0);
    return result;
}

CeilingResult sqlite_durable_commits(const std::string& path, std::chrono::milliseconds duration,
                                     std::size_t max_commits) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("sqlite ceiling: cannot open " + path);
    }
    sqlite3_stmt* insert = nullptr;
    const bool ready = exec(db, "PRAGMA journal_mode = WAL") && exec(db, "PRAGMA synchronous = FULL") &&
                       exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)") &&
                       sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?1)", -1, &insert, nullptr) == SQLITE_OK;
    CeilingResult result;
    try {
        if (!ready) throw std::runtime_error(std::string("sqlite ceiling: ") + sqlite3_errmsg(db));
        result = timed_inserts(db, insert, duration, max_commits);
    } catch (...) {
        sqlite3_finalize(insert);
        sqlite3_close(db);
        throw;
    }
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return result;
}

class BareHttpServer::Impl {
public:
    Impl(const server::ServerConfig& c, std::string post_answer) : post_answer_(std::move(post_answer)) {
        server_.set_tcp_nodelay(true);
        server_.set_keep_alive_max_count(c.keep_alive_max_requests);
        server_.set_keep_alive_timeout(c.keep_alive_seconds);
        server_.set_read_timeout(c.read_timeout_seconds, 0);
        server_.set_write_timeout(c.write_timeout_seconds, 0);
        server_.set_payload_max_length(c.max_body_bytes);
        const std::size_t threads = c.worker_threads;
        server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
        // The size of a real check answer, so the bytes on the wire match.
        server_.Get("/bare", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"allowed":true,"reason":"granted","receipt_id":"rcpt_0123456789abcdefghijkl"})",
                            "application/json");
        });
        server_.Post("/bare", [this](const httplib::Request&, httplib::Response& res) {
            res.status = 201;
            res.set_content(post_answer_, "application/json");
        });
    }
    int bind(const std::string& host, int backlog) {
        const int port = server_.bind_to_any_port(host);
        if (port > 0) ::listen(server_.listening_socket(), backlog);
        return port;
    }
    void serve() { server_.listen_after_bind(); }
    void stop() { server_.stop(); }

private:
    const std::string post_answer_;
    ListeningServer server_;
};

BareHttpServer::BareHttpServer(const server::ServerConfig& config, std::string post_answer)
    : impl_(std::make_unique<Impl>(config, std::move(post_answer))) {
    port_ = impl_->bind(config.host, config.listen_backlog);
    if (port_ <= 0) throw std::runtime_error("bare HTTP ceiling: cannot bind an ephemeral port");
    serving_ = std::thread([this] { impl_->serve(); });
}

BareHttpServer::~BareHttpServer() {
    impl_->stop();
    serving_.join();
}

}  // namespace consent::bench
