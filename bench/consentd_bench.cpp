// consentd's benchmark (bench/run.sh): an in-process consentd on an ephemeral
// port of 127.0.0.1 backed by a real SQLite file, client threads with their own
// keep-alive connections, and the machine's ceilings measured in the same run.
// It prints medians and ratios and asserts nothing: timings on these shared
// 2-core machines are noisy, so only ratios within one run mean much (TOOLCHAIN.md).
#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench_ceilings.hpp"
#include "bench_load.hpp"
#include "bench_report.hpp"
#include "bench_scenarios.hpp"
#include "bench_server.hpp"
#include "bench_stats.hpp"

namespace {

using namespace consent::bench;
using std::chrono::milliseconds;

constexpr std::size_t kReceiptClients[] = {1, 8, 64};
constexpr const char* kBarePost = "bare cpp-httplib POST, consentd's settings";
constexpr std::size_t kCheckClients[] = {8, 64};
constexpr std::size_t kBatchPairs[] = {100, 1000};
constexpr std::size_t kBatchClients = 4;  // two cores: a few large requests in flight keep both busy
constexpr std::size_t kWithdrawals = 50;
constexpr milliseconds kWarmUp{300};
const char* const kCeilings = "Ceilings (same run)";
const char* const kServer = "consentd";

struct Options {
    int reps = 3;
    double seconds = 2.0;  // per repetition of each throughput measurement
    std::string out;
    std::string label;  // what was measured, e.g. the commit (bench/run.sh passes it)
    std::string notice = CONSENT_BENCH_NOTICE;
    bool receipts_only = false;  // ceilings and receipts only: quick rounds while profiling the write path
    bool checks_only = false;    // ceilings, a short fill of receipts, then checks and withdrawals: the read path

    milliseconds duration() const { return milliseconds(static_cast<long>(seconds * 1000.0)); }
};

// --reps=N (1..10), --seconds=S (0.2..10), --out=FILE, --label=TEXT, --notice=FILE: bounded so a run stays short.
Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&](const char* flag) { return arg.substr(std::string(flag).size()); };
        if (arg.rfind("--reps=", 0) == 0) o.reps = std::stoi(value("--reps="));
        else if (arg.rfind("--seconds=", 0) == 0) o.seconds = std::stod(value("--seconds="));
        else if (arg.rfind("--out=", 0) == 0) o.out = value("--out=");
        else if (arg.rfind("--label=", 0) == 0) o.label = value("--label=");
        else if (arg.rfind("--notice=", 0) == 0) o.notice = value("--notice=");
        else if (arg == "--receipts-only") o.receipts_only = true;
        else if (arg == "--checks-only") o.checks_only = true;
        else
            throw std::invalid_argument(
                "unknown argument " + arg +
                " (--reps=N --seconds=S --out=FILE --label=TEXT --notice=FILE --receipts-only --checks-only)");
    }
    if (o.receipts_only && o.checks_only)
        throw std::invalid_argument("--receipts-only and --checks-only exclude each other");
    if (o.reps < 1 || o.reps > 10) throw std::invalid_argument("--reps must be 1..10");
    if (o.seconds < 0.2 || o.seconds > 10.0) throw std::invalid_argument("--seconds must be 0.2..10");
    return o;
}

nlohmann::json read_json_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    return nlohmann::json::parse(in);
}

void progress(const std::string& what) { std::cerr << "  measuring " << what << std::endl; }

std::string rep_label(int rep, const Options& o) {
    return " (" + std::to_string(rep + 1) + "/" + std::to_string(o.reps) + ")";
}

Row make_row(const char* section, const std::string& name, const std::string& clients) {
    Row row;
    row.section = section;
    row.name = name;
    row.clients = clients;
    return row;
}

void add_run(Row& row, const LoadResult& run) {
    row.rates.push_back(run.items_per_second());
    row.p50_ms.push_back(percentile(run.latencies_ms, 50));
    row.p99_ms.push_back(percentile(run.latencies_ms, 99));
    if (run.items > 0) row.cpu_us.push_back(run.cpu_seconds * 1e6 / static_cast<double>(run.items));
    row.failures += run.failures;
}

Row samples_row(const std::string& name, const Samples& s, const std::string& condition = "idle server") {
    Row row = make_row(kServer, name, "1");
    row.p50_ms = {percentile(s.latencies_ms, 50)};
    row.p99_ms = {percentile(s.latencies_ms, 99)};
    row.failures = s.failures;
    row.note = "n=" + std::to_string(s.latencies_ms.size()) + ", " + condition;
    return row;
}

// Each ceiling repetition runs between the others, so slow drift of the shared
// machine touches all of them alike.
std::vector<Row> measure_ceilings(const Options& o, const ScratchDir& scratch, Scenarios& scenarios,
                                  const consent::server::ServerConfig& config) {
    const std::string message = scenarios.sample_signing_input();
    Row sign = make_row(kCeilings, "Ed25519 signatures, 1 core (libsodium)", "-");
    sign.note = std::to_string(message.size()) + "-byte receipt signing input";
    Row commit = make_row(kCeilings, "SQLite durable commits (WAL, sync=FULL)", "1");
    commit.note = "one small INSERT per commit, same disk";
    std::map<std::size_t, Row> http;
    std::map<std::size_t, Row> posts;
    BareHttpServer bare(config, scenarios.sample_answer());
    const auto get = [](httplib::Client& c, std::size_t, std::size_t) {
        auto r = c.Get("/bare");
        return std::size_t{r && r->status == 200 ? 1u : 0u};
    };
    const std::string& body = scenarios.sample_body();
    const auto post = [&body](httplib::Client& c, std::size_t, std::size_t) {
        auto r = c.Post("/bare", body, "application/json");
        return std::size_t{r && r->status == 201 ? 1u : 0u};
    };
    for (int rep = 0; rep < o.reps; ++rep) {
        progress("ceilings" + rep_label(rep, o));
        sign.rates.push_back(ed25519_signatures(message, milliseconds(500), 1000000).per_second);
        const auto c = sqlite_durable_commits((scratch.path() / "ceiling.db").string(), milliseconds(1000), 20000);
        commit.rates.push_back(c.per_second);
        commit.p50_ms.push_back(percentile(c.latencies_ms, 50));
        commit.p99_ms.push_back(percentile(c.latencies_ms, 99));
        for (std::size_t clients : kCheckClients) {
            auto found = http.try_emplace(
                clients, make_row(kCeilings, "bare cpp-httplib GET, consentd's settings", std::to_string(clients)));
            add_run(found.first->second, run_load(bare.port(), LoadPlan{clients, o.duration(), 200000}, get));
        }
        for (std::size_t clients : kReceiptClients) {
            auto found = posts.try_emplace(clients, make_row(kCeilings, kBarePost, std::to_string(clients)));
            if (found.second)
                found.first->second.note = std::to_string(body.size()) + " bytes in, " +
                                           std::to_string(scenarios.sample_answer().size()) + " out, as a receipt";
            add_run(found.first->second, run_load(bare.port(), LoadPlan{clients, o.duration(), 200000}, post));
        }
    }
    std::vector<Row> rows = {sign, commit};
    for (auto& entry : http) rows.push_back(entry.second);
    for (auto& entry : posts) rows.push_back(entry.second);
    return rows;
}

std::vector<Row> measure_receipts(const Options& o, Scenarios& scenarios, BenchServer& server) {
    std::vector<Row> rows;
    std::vector<std::vector<double>> per_commit(std::size(kReceiptClients));
    for (std::size_t clients : kReceiptClients)
        rows.push_back(make_row(kServer, "receipts stored (signed, durable)", std::to_string(clients)));
    scenarios.set_duration(kWarmUp);
    (void)scenarios.receipts(8);
    scenarios.set_duration(o.duration());
    for (int rep = 0; rep < o.reps; ++rep) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            progress("receipts, " + rows[i].clients + " clients" + rep_label(rep, o));
            const std::int64_t commits_before = server.store().commit_count();
            const LoadResult run = scenarios.receipts(kReceiptClients[i]);
            const auto commits = static_cast<double>(server.store().commit_count() - commits_before);
            add_run(rows[i], run);
            if (commits > 0) per_commit[i].push_back(static_cast<double>(run.items) / commits);
        }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        char note[64];
        std::snprintf(note, sizeof note, "%.1f receipts per group commit", median(per_commit[i]));
        rows[i].note = note;
    }
    return rows;
}

// --checks-only: the subjects the checks ask about, stored without measuring.
void fill_subjects(Scenarios& scenarios) {
    progress("a fill of receipts for the checks (not measured)");
    scenarios.set_duration(milliseconds(2000));
    (void)scenarios.receipts(64);
}

std::vector<Row> measure_checks(const Options& o, Scenarios& scenarios) {
    std::vector<Row> rows;
    for (std::size_t clients : kCheckClients)
        rows.push_back(make_row(kServer, "single checks (GET, API key)", std::to_string(clients)));
    for (std::size_t pairs : kBatchPairs)
        rows.push_back(make_row(kServer, "batch check pairs, " + std::to_string(pairs) + " per request",
                                std::to_string(kBatchClients)));
    scenarios.set_duration(kWarmUp);
    (void)scenarios.single_checks(8);
    scenarios.set_duration(o.duration());
    for (int rep = 0; rep < o.reps; ++rep) {
        for (std::size_t i = 0; i < std::size(kCheckClients); ++i) {
            progress("single checks, " + rows[i].clients + " clients" + rep_label(rep, o));
            add_run(rows[i], scenarios.single_checks(kCheckClients[i]));
        }
        for (std::size_t i = 0; i < std::size(kBatchPairs); ++i) {
            progress("batch checks, " + std::to_string(kBatchPairs[i]) + " pairs" + rep_label(rep, o));
            add_run(rows[std::size(kCheckClients) + i], scenarios.batch_checks(kBatchClients, kBatchPairs[i]));
        }
    }
    return rows;
}

std::vector<Row> measure_withdrawals(Scenarios& scenarios) {
    progress("withdrawal -> denied check, " + std::to_string(kWithdrawals) + " times");
    Row denied = samples_row("withdrawal -> a check says denied", scenarios.withdrawal_to_denied(kWithdrawals));
    progress("withdrawal -> event delivered, " + std::to_string(kWithdrawals) + " times");
    Row event = samples_row("withdrawal -> its event arrives (SSE)", scenarios.withdrawal_to_event(kWithdrawals));
    return {denied, event};
}

const Row* find_row(const std::vector<Row>& rows, const std::string& name, const std::string& clients) {
    for (const auto& r : rows)
        if (r.name == name && r.clients == clients) return &r;
    return nullptr;  // a part that was not measured (--receipts-only)
}

double rate_of(const Row* row) { return row != nullptr ? row->rate() : 0.0; }

// Issue #11: a withdrawal must take effect at once while the server is busy,
// not only when it is idle. The same withdrawals as above, while receipts are
// offered at half the rate 64 clients stored (paced, 16 clients).
std::vector<Row> measure_withdrawals_under_load(Scenarios& scenarios, const std::vector<Row>& rows) {
    const Row* full = find_row(rows, "receipts stored (signed, durable)", "64");
    const double offered = full != nullptr ? full->rate() / 2.0 : 500.0;
    progress("withdrawals while " + std::to_string(static_cast<long>(offered)) + " receipts/s are offered");
    Scenarios::Background load(scenarios, 16, offered);
    std::this_thread::sleep_for(kWarmUp);
    const Samples denied = scenarios.withdrawal_to_denied(kWithdrawals);
    const Samples event = scenarios.withdrawal_to_event(kWithdrawals);
    const double stored = load.stop();
    char condition[96];
    std::snprintf(condition, sizeof condition, "%.0f receipts/s stored meanwhile (%.0f offered)", stored, offered);
    return {samples_row("withdrawal -> denied, under load", denied, condition),
            samples_row("withdrawal -> its event, under load", event, condition)};
}

// Ratios to the ceilings: receipts against signing and durable commits, single
// checks against bare HTTP at the same client count; batches against single checks.
void add_ratios(std::vector<Row>& rows) {
    const double sign = rate_of(find_row(rows, "Ed25519 signatures, 1 core (libsodium)", "-"));
    const double commit = rate_of(find_row(rows, "SQLite durable commits (WAL, sync=FULL)", "1"));
    const double single = rate_of(find_row(rows, "single checks (GET, API key)", "8"));
    for (auto& r : rows) {
        if (r.section != kServer || r.rates.empty()) continue;
        if (r.name.rfind("receipts", 0) == 0) {
            r.per_sign = r.rate() / sign;
            r.per_commit = r.rate() / commit;
            r.per_http = r.rate() / rate_of(find_row(rows, kBarePost, r.clients));
        } else if (r.name.rfind("single", 0) == 0) {
            r.per_http = r.rate() / rate_of(find_row(rows, "bare cpp-httplib GET, consentd's settings", r.clients));
        } else if (single > 0.0) {
            char note[64];
            std::snprintf(note, sizeof note, "%.1fx single checks/s (8 clients)", r.rate() / single);
            r.note = note;
        }
    }
}

std::string first_cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::string header(const Options& o, const ScratchDir& scratch, BenchServer& server, std::size_t receipts) {
    const auto& c = server.config();
    std::ostringstream out;
    out << "consentd bench: Release build, in-process consentd on 127.0.0.1, " << o.reps << " repetitions of "
        << o.seconds << " s per throughput figure; medians" << (o.label.empty() ? "" : "; " + o.label) << "\n"
        << "machine: " << std::thread::hardware_concurrency() << " cores (" << first_cpu_model() << "); scratch "
        << scratch.path().string() << " (" << scratch.filesystem_type() << ")\n"
        << "libraries: SQLite " << sqlite3_libversion() << ", libsodium " << sodium_version_string() << ", cpp-httplib "
        << CPPHTTPLIB_VERSION << "\n"
        << "server: " << c.worker_threads << " workers, keep-alive " << c.keep_alive_max_requests << " requests/"
        << c.keep_alive_seconds << " s, backlog " << c.listen_backlog << ", TCP_NODELAY, body limit "
        << c.max_body_bytes / 1024 << " KiB, public rate limit " << c.public_rate_per_minute
        << "/min (off), group commit <= " << consent::server::kDefaultMaxBatch << "; " << receipts
        << " receipts in the log at the end\n";
    // Whether the checks were answered from memory (read_cache.hpp), and
    // whether anything dropped it mid-run (there is no other process here).
    const auto states = server.store().state_cache_stats();
    out << "state cache: " << states.hits << " hits, " << states.misses << " misses, " << states.entries
        << " subjects held, " << states.evictions << " evicted, " << states.clears << " drops ("
        << server.store().foreign_receipts_seen() << " for another process's receipts)\n";
    // Whether the WAL kept starting again from its beginning (sqlite_wal_checkpointer.hpp).
    const auto wal = server.store().wal_stats();
    out << "WAL: " << wal.background_rounds << " checkpoints on its thread, " << wal.writer_rounds << " by the writer, "
        << wal.restarts << " restarts, longest " << wal.longest << " frames\n";
    return out.str();
}

void append(std::vector<Row>& rows, const std::vector<Row>& more) { rows.insert(rows.end(), more.begin(), more.end()); }

std::string whole_seconds_since(Clock::time_point start) {
    return std::to_string(static_cast<long>(milliseconds_between(start, Clock::now()) / 1000.0));
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << text;
}

}  // namespace

int main(int argc, char** argv) try {
    const Options options = parse_options(argc, argv);
    const auto started = Clock::now();
    ScratchDir scratch;
    BenchServer server(scratch.path(), read_json_file(options.notice), bench_server_config());
    Scenarios scenarios(server, options.duration());
    std::cerr << "consentd bench: server on 127.0.0.1:" << server.port() << ", scratch " << scratch.path().string()
              << std::endl;
    std::vector<Row> rows = measure_ceilings(options, scratch, scenarios, server.config());
    if (options.checks_only) fill_subjects(scenarios);
    else append(rows, measure_receipts(options, scenarios, server));
    if (!options.receipts_only) {
        append(rows, measure_checks(options, scenarios));
        append(rows, measure_withdrawals(scenarios));
        append(rows, measure_withdrawals_under_load(scenarios, rows));
    }
    add_ratios(rows);
    const auto receipts = static_cast<std::size_t>(*server.store().receipt_count());
    const std::string report = header(options, scratch, server, receipts) + "\n" + render_table(rows) + "\n" +
                               render_legend() + "measured in " + whole_seconds_since(started) + " s\n";
    std::cout << "\n" << report;
    if (!options.out.empty()) write_file(options.out, report);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "consentd_bench: " << e.what() << '\n';
    return 1;
}
