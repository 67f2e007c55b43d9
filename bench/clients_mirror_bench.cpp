// The C++ mirror's numbers for bench/clients_bench.js (issue #15 targets):
// memory of a loaded mirror, the p50 of one allowed() from memory, and the
// time from consentd's answer to a withdrawal to the mirror denying (p50,
// p99), while clients_bench.js keeps consentd busy with decisions.
//   clients_mirror_bench URL SITE API_KEY SUBJECTS_FILE WITHDRAWALS
// SUBJECTS_FILE: one granted subject id a line. Prints one JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "consent_client/client.hpp"
#include "consent_client/mirror.hpp"

namespace {

using Clock = std::chrono::steady_clock;

long rss_bytes() {
    long pages = 0, resident = 0;
    std::ifstream statm("/proc/self/statm");
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: clients_mirror_bench URL SITE API_KEY SUBJECTS_FILE WITHDRAWALS\n";
        return 64;
    }
    const std::string url = argv[1], site = argv[2], key = argv[3];
    std::vector<std::string> subjects;
    std::ifstream list(argv[4]);
    for (std::string line; std::getline(list, line);)
        if (!line.empty()) subjects.push_back(line);
    const auto withdrawals = static_cast<std::size_t>(std::stoul(argv[5]));
    if (subjects.size() < withdrawals + 1) {
        std::cerr << "clients_mirror_bench: fewer subjects than withdrawals\n";
        return 64;
    }

    const long before = rss_bytes();
    consent::client::Mirror mirror(url, site, key);
    const auto load_started = Clock::now();
    if (!mirror.start(std::chrono::seconds(120))) {
        std::cerr << "clients_mirror_bench: the mirror did not load\n";
        return 1;
    }
    const double load_s = std::chrono::duration<double>(Clock::now() - load_started).count();
    const long loaded = rss_bytes();
    const std::size_t loaded_subjects = mirror.subjects();  // the memory is of these: later decisions add subjects

    // One allowed() at a time, each timed: a backend asks once per item it processes.
    const std::vector<std::string> purposes{"analytics", "marketing", "necessary", "unknown_purpose"};
    std::mt19937 rng(15);
    std::vector<double> check_ns;
    check_ns.reserve(200000);
    std::size_t yes = 0;
    for (int i = 0; i < 200000; ++i) {
        const std::string& s = subjects[rng() % subjects.size()];
        const std::string& p = purposes[rng() % purposes.size()];
        const auto t0 = Clock::now();
        const bool allowed = mirror.allowed(s, p);
        check_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        yes += allowed ? 1 : 0;
    }

    // consentd answered the withdrawal (it is durable) -> the mirror denies.
    consent::client::Client client(url, site, key);
    std::vector<double> deny_ms;
    for (std::size_t i = 0; i < withdrawals; ++i) {
        const std::string& who = subjects[i];
        if (!mirror.allowed(who, "marketing")) continue;
        auto answer = client.withdraw(who, {"marketing"});
        const auto t0 = Clock::now();
        if (!answer) {
            std::cerr << "clients_mirror_bench: withdraw: " << answer.error().code << "\n";
            return 1;
        }
        while (mirror.allowed(who, "marketing")) {
            if (Clock::now() - t0 > std::chrono::seconds(10)) {
                std::cerr << "clients_mirror_bench: the mirror never denied\n";
                return 1;
            }
        }
        deny_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::printf(
        "{\"subjects\":%zu,\"loaded_subjects\":%zu,\"load_s\":%.3f,\"rss_delta_bytes\":%ld,\"check_p50_ns\":%.1f,"
        "\"check_p99_ns\":%.1f,"
        "\"allowed\":%zu,\"withdrawals\":%zu,\"deny_p50_ms\":%.3f,\"deny_p99_ms\":%.3f}\n",
        mirror.subjects(), loaded_subjects, load_s, loaded - before, percentile(check_ns, 0.5),
        percentile(check_ns, 0.99), yes, deny_ms.size(), percentile(deny_ms, 0.5), percentile(deny_ms, 0.99));
    mirror.stop();
    return 0;
}
