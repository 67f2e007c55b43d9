// An epoll set with its own eventfd, so that other threads can wake the one
// thread that waits on it (the connection loop, the event-stream pump).
#pragma once

namespace consent::server {

class WakeablePoll {
public:
    WakeablePoll();
    ~WakeablePoll();
    WakeablePoll(const WakeablePoll&) = delete;
    WakeablePoll& operator=(const WakeablePoll&) = delete;

    int fd() const { return epoll_; }  // for epoll_ctl and epoll_wait
    bool valid() const { return epoll_ >= 0 && wake_ >= 0; }
    bool is_wake(int fd) const { return fd == wake_; }
    // Any thread: the waiting thread's epoll_wait returns with the wake fd ready.
    void wake() const;
    // The waiting thread, when is_wake(fd): resets the counter so the next wait blocks again.
    void drain() const;

private:
    int epoll_ = -1;
    int wake_ = -1;
};

}  // namespace consent::server
