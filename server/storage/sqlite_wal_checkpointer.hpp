// Copies the log writer's WAL back into the database file on a thread of its
// own (issue #11). SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, so one batch in every few dozen paid for copying and
// syncing a thousand pages while every request behind it waited; measured on
// the write path, checkpoints were a third of the writer's commit time.
//
// The writer's connection reports each commit's WAL length (committed()); past
// `threshold` frames this thread runs a PASSIVE checkpoint on its own
// connection, which waits for no reader or writer. A WAL that has been copied
// whole is started again from its beginning by the writer's next transaction,
// so the file stays about `threshold` pages long. Should this thread fall
// behind or keep failing (a reader pinning an old snapshot, an I/O error), the
// writer checkpoints itself once the WAL passes `limit` frames, as SQLite
// would have, so the WAL stays bounded either way.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "consent/base/result.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

class WalCheckpointer {
public:
    // Frames (pages). Four times SQLite's default: a page that each batch
    // rewrites (the log's right edge in every index, the checkpoint row) is
    // copied once per checkpoint however often it was written since.
    static constexpr int kThreshold = 4000;
    static constexpr int kLimit = 32000;  // about 128 MiB of WAL with 4 KiB pages

    static Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path, int busy_timeout_ms,
                                                          int threshold = kThreshold);
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;
    ~WalCheckpointer();  // runs no new checkpoint; joins the thread

    // From the writer's thread, after a commit, with the WAL's length in
    // frames. False when the writer should checkpoint itself (past kLimit).
    bool committed(int frames);

    std::int64_t checkpoints() const { return done_; }  // completed by this thread
    std::int64_t failures() const { return failed_; }

private:
    WalCheckpointer(std::unique_ptr<Connection> connection, int threshold);
    void run();

    std::unique_ptr<Connection> connection_;
    const int threshold_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool wanted_ = false;
    bool stopping_ = false;
    std::atomic<std::int64_t> done_{0};
    std::atomic<std::int64_t> failed_{0};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace consent::server::sqlite
