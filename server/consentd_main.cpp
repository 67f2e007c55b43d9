// consentd: receives decisions from the banner, stores signed receipts durably,
// and answers backends' consent checks. Configuration errors stop it at start
// with one line on stderr. SIGINT/SIGTERM stop it gracefully: no new
// connections, the requests already received are answered (every receipt it
// acknowledged is committed before its answer), the store's queue is drained,
// and it exits 0 within --stop-timeout-seconds plus the last commit.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <iostream>
#include <thread>

#include "consent_version.hpp"
#include "crypto/key_ring.hpp"
#include "http/http_server.hpp"
#include "http/server_config.hpp"
#include "service/consent_service.hpp"
#include "service/replica_fanout.hpp"
#include "service/retention_schedule.hpp"
#include "storage/pg_store.hpp"
#include "storage/store_opener.hpp"

namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

int fail(const std::string& message) {
    std::cerr << "consentd: " << message << '\n';
    return 1;
}

// Blocks SIGINT/SIGTERM in every thread, then waits for them in one thread:
// no async-signal-safety puzzles in the handlers.
sigset_t block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

// Every connection and event stream is a descriptor: raise the soft limit to
// the hard one, and refuse to start with limits the process could not honour.
bool descriptors_suffice(const consent::server::ServerConfig& c) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t reserve = 64 + c.worker_threads;  // the store, the keys, the loops' own descriptors
    return limit.rlim_cur == RLIM_INFINITY || c.max_connections + c.max_event_streams + reserve <= limit.rlim_cur;
}

// Standard error, a file opened for appending (0640), or -1 when logs are off.
int open_request_log(const consent::server::ServerConfig& c) {
    if (!c.log_requests) return -1;
    if (c.log_file.empty()) return STDERR_FILENO;
    return ::open(c.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

bool asks(const std::vector<std::string>& args, const char* flag) {
    return std::find(args.begin(), args.end(), flag) != args.end();
}

// Serves until a stop signal; the store, declared first, is closed last, after
// its queue is committed.
int serve(const consent::server::ServerConfig& config, int log_fd) {
    using namespace consent::server;
    // A file grown past the size limit (RLIMIT_FSIZE, a quota) must fail the
    // write (EFBIG: a retryable storage.unavailable), not kill the server.
    std::signal(SIGXFSZ, SIG_IGN);
    const sigset_t signals = block_stop_signals();
    auto keys = KeyRing::load(config.key_dir);
    if (!keys) return fail(keys.error().code + ": " + keys.error().message + " (run consentctl init first)");
    auto store = open_store(config.database, unix_now);
    if (!store) return fail(store.error().code + ": " + store.error().message);
    ConsentService service(**store, *keys, unix_now, config.log_origin);
    SiteSecrets secrets(config.key_dir);
    service.set_site_secrets(secrets);
    // Replicas on one PostgreSQL database hear each other's receipts and notices.
    std::unique_ptr<ReplicaFanout> fanout;
    if (is_postgresql_url(config.database)) fanout = std::make_unique<ReplicaFanout>(config.database, service, **store);
    // Retention runs on the same service, so an erasure it makes reaches every check at once.
    RetentionSchedule retention(service, std::chrono::seconds(config.retention_interval_seconds),
                                [](const std::string& line) { std::cout << "consentd " << line << std::endl; });
    HttpServer http(service, config, RequestLog(log_fd));
    const int port = http.bind();
    if (port < 0) return fail("cannot listen on " + config.host + ":" + std::to_string(config.port));
    for (const auto& proxy : config.trusted_proxies.networks)
        std::cout << "consentd trusts the client address named by the proxy " << proxy.to_string() << '\n';
    // The URL without its password: a log must never hold it.
    if (fanout) std::cout << "consentd stores receipts in " << database_for_display(config.database) << '\n';
    std::cout << "consentd " << CONSENT_VERSION << " listening on http://" << config.host << ":" << port << std::endl;
    retention.start();
    std::thread stopper([&] {
        int received = 0;
        sigwait(&signals, &received);
        std::cout << "consentd stopping: answering the requests already received" << std::endl;
        http.stop();
    });
    const bool served = http.serve();
    // serve() also returns when the socket fails: wake the stopper so it can be joined.
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
    retention.stop();  // before the store closes: a pass in progress finishes its erasure
    return served ? 0 : fail("the listening socket failed");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace consent::server;
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (asks(args, "--help")) {
        std::cout << "usage: consentd [--config=FILE] [--option=value]...\n"
                     "Serves consent receipts and checks over HTTP (docs/deployment.md).\n"
                  << server_config_help();
        return 0;
    }
    if (asks(args, "--version")) {
        std::cout << "consentd " << CONSENT_VERSION << '\n';
        return 0;
    }
    auto config = parse_server_config(args);
    if (!config) return fail(config.error().message + " (consentd --help lists the options)");
    if (!descriptors_suffice(*config))
        return fail("--max-connections plus --max-event-streams exceed the open-file limit (ulimit -n)");
    const int log_fd = open_request_log(*config);
    if (config->log_requests && log_fd < 0) return fail("cannot open --log-file " + config->log_file);
    const int status = serve(*config, log_fd);
    if (status == 0) std::cout << "consentd stopped; every acknowledged receipt is committed" << std::endl;
    return status;
}
