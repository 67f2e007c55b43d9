// Copies the log writer's WAL back into the database file on a thread of its
// own (issue #11). SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, so one batch in every few dozen paid for copying and
// syncing a thousand pages while every request behind it waited; measured on
// the write path, checkpoints were a third of the writer's commit time.
//
// The writer's connection reports each commit's WAL length; past `threshold`
// frames this thread runs a PASSIVE checkpoint on its own connection, which
// waits for no reader or writer. That alone never lets the WAL start again from
// its beginning under steady writes: SQLite restarts it only in a write
// transaction that began with every frame copied and no reader left in it,
// and while this thread copies, the writer appends more (measured: at 8
// clients the WAL grew to its limit, ~128 MiB, and stayed there, the writer's
// own checkpoints failing busy behind this thread's). So the work is split:
// this thread copies the bulk and syncs the file; once a round of it has
// copied everything it saw past `restart_at` frames, the writer, right after
// its next commit, runs a RESTART checkpoint: it copies the few frames that
// came since and waits a moment for the readers still in the WAL, so that its
// next transaction starts the WAL again. Should this thread fall behind or
// keep failing (a reader pinning an old snapshot, an I/O error), the writer
// checkpoints itself once the WAL passes `limit` frames, as SQLite would
// have, so the WAL stays bounded either way.
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

    // Past this many frames a round that copied all it saw syncs the file and
    // lets the writer finish, so that the WAL starts again. Lower, the WAL is
    // shorter but its pages are copied and synced more often (measured at
    // 4000: up to 15% fewer receipts a second, and p99 at 8 clients 8-9 ms
    // instead of 5-6).
    static constexpr int kRestartAt = 16000;

    static Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path, int busy_timeout_ms,
                                                          int threshold = kThreshold, int restart_at = kRestartAt);
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;
    ~WalCheckpointer();  // runs no new checkpoint; joins the thread

    // From the writer's thread, after each commit, with the WAL's length in
    // frames. True when the writer should run a RESTART checkpoint itself now
    // (checkpoint_restart, waiting kRestartWaitMs): to copy what this thread's
    // last complete round did not see (at most kFinish frames), or past kLimit.
    bool writer_checkpoints_now(int frames);
    // Whether the checkpoint the writer ran on being told to succeeded (false:
    // a reader stayed in the WAL, or this thread was copying).
    void writer_checkpointed(bool succeeded);

    // Frames the writer copies itself to finish a round: about a millisecond
    // of copying, less than the commits it saves from a WAL that never restarts.
    static constexpr int kFinish = 256;
    // How long the writer's RESTART checkpoint waits for readers still in the
    // WAL (Connection::checkpoint_restart): they read for microseconds; one
    // that reads for longer only defers the restart.
    static constexpr int kRestartWaitMs = 2;

    std::int64_t checkpoints() const { return done_; }  // completed by this thread
    std::int64_t failures() const { return failed_; }
    // What the WAL did, for the benchmark and the tests.
    struct Stats {
        std::int64_t background_rounds = 0;
        std::int64_t writer_rounds = 0;  // copying the rest, or past kLimit
        std::int64_t restarts = 0;       // times the WAL started again from its beginning
        int longest = 0;                 // frames, after a commit
    };
    Stats stats() const;

private:
    WalCheckpointer(std::unique_ptr<Connection> connection, int threshold, int restart_at);
    void run();

    std::unique_ptr<Connection> connection_;
    const int threshold_;
    const int restart_at_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool wanted_ = false;
    bool running_ = false;
    bool stopping_ = false;
    // The last round, this thread's or the writer's: the WAL's length it saw,
    // and whether it copied all of it. Forgotten when the WAL starts again.
    int round_frames_ = 0;
    bool round_complete_ = false;
    int last_frames_ = 0;   // the WAL's length after the writer's latest commit
    int finish_after_ = 0;  // after a busy finish: not before the WAL is this long
    std::int64_t writer_rounds_ = 0;
    std::int64_t restarts_ = 0;
    int longest_ = 0;
    std::atomic<std::int64_t> done_{0};
    std::atomic<std::int64_t> failed_{0};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace consent::server::sqlite
