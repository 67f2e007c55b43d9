// The threads that run complete, framed requests through the routes (and so
// the service and the store). Only the connection loop submits, one job per
// connection at a time, so the queue is bounded by the connection cap.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace consent::server {

class WorkerPool {
public:
    explicit WorkerPool(std::size_t threads);
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    ~WorkerPool();

    void submit(std::function<void()> job);
    // Runs the jobs already queued, then joins the threads.
    void stop();

private:
    void run();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace consent::server
