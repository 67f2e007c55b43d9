// consentd: receives decisions from the banner, stores signed receipts durably,
// and answers backends' consent checks. Configuration errors stop it at start
// with one line on stderr; SIGINT/SIGTERM stop it cleanly (pending commits finish).
#include <sys/resource.h>

#include <csignal>
#include <ctime>
#include <iostream>
#include <thread>

#include "crypto/key_ring.hpp"
#include "http/http_server.hpp"
#include "http/server_config.hpp"
#include "service/consent_service.hpp"
#include "storage/sqlite_store.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    using namespace consent::server;
    auto config = parse_server_config(std::vector<std::string>(argv + 1, argv + argc));
    if (!config)
        return fail(config.error().message + " (options: --database= --keys= --host= --port= --trusted-proxy= ...)");
    if (!descriptors_suffice(*config))
        return fail("--max-connections plus --max-event-streams exceed the open-file limit (ulimit -n)");
    // A file grown past the size limit (RLIMIT_FSIZE, a quota) must fail the
    // write (EFBIG: a retryable storage.unavailable), not kill the server.
    std::signal(SIGXFSZ, SIG_IGN);
    const sigset_t signals = block_stop_signals();
    auto keys = KeyRing::load(config->key_dir);
    if (!keys) return fail(keys.error().code + ": " + keys.error().message + " (run consentctl init first)");
    auto store = SqliteStore::open(config->database, unix_now);
    if (!store) return fail(store.error().code + ": " + store.error().message);
    ConsentService service(**store, *keys, unix_now, config->log_origin);
    HttpServer http(service, *config);
    const int port = http.bind();
    if (port < 0) return fail("cannot listen on " + config->host + ":" + std::to_string(config->port));
    for (const auto& proxy : config->trusted_proxies.networks)
        std::cout << "consentd trusts the client address named by the proxy " << proxy.to_string() << '\n';
    std::cout << "consentd listening on http://" << config->host << ":" << port << std::endl;
    std::thread stopper([&] {
        int received = 0;
        sigwait(&signals, &received);
        http.stop();
    });
    const bool served = http.serve();
    // serve() also returns when the socket fails: wake the stopper so it can be joined.
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
    return served ? 0 : fail("the listening socket failed");
}
