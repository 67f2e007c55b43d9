#include "storage/sqlite_backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <sqlite3.h>

namespace consent::server {
namespace {

namespace fs = std::filesystem;

struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, Closer>;

Error failed(sqlite3* db, const std::string& what) {
    return make_error("backup.failed", what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Result<Db> open(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) return failed(raw, "cannot open " + path);
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

Result<std::string> query_text(sqlite3* db, const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return failed(db, sql);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
    if (sqlite3_step(stmt) != SQLITE_ROW) return failed(db, sql);
    const auto* text = sqlite3_column_text(stmt, 0);
    return std::string(text ? reinterpret_cast<const char*>(text) : "");
}

// One step of -1 copies every page under one read lock: a consistent snapshot.
// Busy (a writer holding a lock the copy needs) is waited out, briefly.
Status copy_pages(sqlite3* from, sqlite3* to) {
    sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
    if (!backup) return failed(to, "cannot start the backup");
    int rc = SQLITE_OK;
    for (int tries = 0; tries < 500; ++tries) {
        rc = sqlite3_backup_step(backup, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) return failed(to, "the backup did not complete");
    return Unit{};
}

// The copy as one file, checked, and its counts for the summary.
Result<BackupSummary> settle(sqlite3* db) {
    auto mode = query_text(db, "PRAGMA journal_mode = DELETE");
    if (!mode) return mode.error();
    auto check = query_text(db, "PRAGMA integrity_check");
    if (!check) return check.error();
    if (*check != "ok") return make_error("backup.failed", "the copy fails SQLite's integrity check: " + *check);
    auto receipts = query_text(db, "SELECT COUNT(*) FROM receipts");
    if (!receipts) return receipts.error();
    auto version = query_text(db, "SELECT version FROM schema_version");
    if (!version) return version.error();
    return BackupSummary{std::stoll(*receipts), std::stoll(*version), 0};
}

bool fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

Result<BackupSummary> backup_database(const std::string& source, const std::string& destination) {
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) return make_error("backup.no_source", "no database at " + source);
    if (fs::exists(destination, ec))
        return make_error("backup.exists", destination + " exists; a backup never overwrites a file");
    const fs::path target = fs::absolute(destination, ec);
    const std::string partial = (target.parent_path() / ("." + target.filename().string() + ".partial")).string();
    fs::remove(partial, ec);  // left by an interrupted backup
    // Read-write without create: a WAL database's readers need its -shm; nothing is written to it.
    auto from = open(source, SQLITE_OPEN_READWRITE);
    if (!from) return from.error();
    Result<BackupSummary> summary = make_error("backup.failed", "not run");
    {
        auto to = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        if (!to) return to.error();
        if (auto copied = copy_pages(from->get(), to->get()); !copied) summary = copied.error();
        else summary = settle(to->get());
    }
    if (summary && !fsync_path(partial, O_RDONLY)) summary = make_error("backup.io_error", "cannot fsync " + partial);
    // link(2), not rename(2): a file that appeared at the destination meanwhile is never replaced.
    if (summary && ::link(partial.c_str(), target.c_str()) != 0)
        summary = make_error(errno == EEXIST ? "backup.exists" : "backup.io_error",
                             "cannot put the copy at " + target.string());
    fs::remove(partial, ec);
    if (!summary) return summary;
    fsync_path(target.parent_path().string(), O_RDONLY | O_DIRECTORY);
    summary.value().bytes = static_cast<std::int64_t>(fs::file_size(target, ec));
    return summary;
}

}  // namespace consent::server
