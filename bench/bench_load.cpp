#include "bench_load.hpp"

#include <sys/resource.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace consent::bench {
namespace {

// Clients report when connected; the clock starts once all are (or after a
// bounded wait), and every client gets the same deadline.
class StartGate {
public:
    void arrive() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++arrived_;
        changed_.notify_all();
    }
    void wait_for_arrivals(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return arrived_ >= count; });
    }
    void open(Clock::time_point deadline) {
        std::lock_guard<std::mutex> lock(mutex_);
        deadline_ = deadline;
        open_ = true;
        changed_.notify_all();
    }
    Clock::time_point wait_open() {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return open_; });
        return deadline_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t arrived_ = 0;
    bool open_ = false;
    Clock::time_point deadline_{};
};

void client_loop(int port, std::size_t id, const LoadPlan& plan, const RequestFn& request, StartGate& gate,
                 LoadResult& out) {
    httplib::Client client = make_client(port);
    (void)client.Get("/bench/connect");  // any answer (a 404) leaves a warm keep-alive connection
    gate.arrive();
    const Clock::time_point deadline = gate.wait_open();
    out.latencies_ms.reserve(4096);
    for (std::size_t n = 0; n < plan.max_requests_per_client && Clock::now() < deadline; ++n) {
        const auto start = Clock::now();
        const std::size_t items = request(client, id, n);
        const auto end = Clock::now();
        ++out.requests;
        if (items == 0) {
            ++out.failures;
            continue;
        }
        out.items += items;
        out.latencies_ms.push_back(milliseconds_between(start, end));
    }
}

LoadResult merge(std::vector<LoadResult>& parts, double seconds) {
    LoadResult total;
    total.seconds = seconds;
    for (auto& part : parts) {
        total.requests += part.requests;
        total.items += part.items;
        total.failures += part.failures;
        total.latencies_ms.insert(total.latencies_ms.end(), part.latencies_ms.begin(), part.latencies_ms.end());
    }
    return total;
}

}  // namespace

double milliseconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

httplib::Client make_client(int port) {
    httplib::Client client("127.0.0.1", port);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(10, 0);
    client.set_write_timeout(10, 0);
    return client;
}

// User and system time of the whole process: server, clients and kernel work
// done on their behalf. Divided by the items it is what each one costs, a figure
// that a busy neighbour on the same cores distorts far less than a rate does.
double process_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

LoadResult run_load(int port, const LoadPlan& plan, const RequestFn& request) {
    std::vector<LoadResult> parts(plan.clients);
    StartGate gate;
    std::vector<std::thread> threads;
    threads.reserve(plan.clients);
    for (std::size_t id = 0; id < plan.clients; ++id)
        threads.emplace_back(client_loop, port, id, std::cref(plan), std::cref(request), std::ref(gate),
                             std::ref(parts[id]));
    gate.wait_for_arrivals(plan.clients);
    const double cpu_before = process_cpu_seconds();
    const auto start = Clock::now();
    gate.open(start + plan.duration);
    for (auto& t : threads) t.join();
    // The window closes when the last client's last request returns.
    LoadResult result = merge(parts, milliseconds_between(start, Clock::now()) / 1000.0);
    result.cpu_seconds = process_cpu_seconds() - cpu_before;
    return result;
}

}  // namespace consent::bench
