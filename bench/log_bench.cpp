// The tamper-evident receipt log's benchmark (bench/run.sh runs it after
// consentd_bench). One SqliteStore on a real file in a fresh directory under
// /tmp grows through 10^3, 10^5 and 10^6 leaves (10^7 with --max-leaves),
// appended by many threads so group commit applies. At each size it measures
// the ingest rate just before the size was reached, the cost of inclusion and
// consistency proofs (the store's O(log n) reads) and of their verification
// (the core's merkle code), the process's resident memory and the files' size.
//
// The seal and the checkpoint signer are cheap deterministic stand-ins: the
// real Ed25519 signing is measured by consentd_bench. Like that bench, this one
// prints medians and asserts nothing about speed; it only counts proofs that fail
// to verify, which would be a bug.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_format.hpp"
#include "bench_stats.hpp"
#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_store.hpp"

namespace {

using namespace consent;
using consent::bench::fixed;
using consent::bench::median;
using consent::bench::spread;
using consent::bench::with_thousands;
using Clock = std::chrono::steady_clock;
using RawHash = std::vector<std::uint8_t>;

constexpr const char* kSite = "bike-shop";
// 10^7 only with --max-leaves=10000000 (and a --budget to match: ~20 min of appending here).
constexpr std::int64_t kSizes[] = {1000, 100000, 1000000, 10000000};
constexpr std::int64_t kMinWindow = 500;
constexpr int kWindowSlices = 5;  // the ingest window (last 10% before a size) is cut into slices: median rate

struct Options {
    int threads = 64;             // enough waiting appends that group commit fills batches on 2 cores
    int samples = 200;            // proofs per kind and size
    double budget_seconds = 240;  // for all appends together
    std::int64_t max_leaves = 1000000;
    std::string out;
    std::string label;
    std::string notice = CONSENT_BENCH_NOTICE;
    std::string dir;  // kept afterwards, and grown on from what it holds: one 10^7 log, measured many times
};

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&](const char* flag) { return arg.substr(std::string(flag).size()); };
        if (arg.rfind("--threads=", 0) == 0) o.threads = std::stoi(value("--threads="));
        else if (arg.rfind("--samples=", 0) == 0) o.samples = std::stoi(value("--samples="));
        else if (arg.rfind("--budget=", 0) == 0) o.budget_seconds = std::stod(value("--budget="));
        else if (arg.rfind("--max-leaves=", 0) == 0) o.max_leaves = std::stoll(value("--max-leaves="));
        else if (arg.rfind("--out=", 0) == 0) o.out = value("--out=");
        else if (arg.rfind("--label=", 0) == 0) o.label = value("--label=");
        else if (arg.rfind("--notice=", 0) == 0) o.notice = value("--notice=");
        else if (arg.rfind("--dir=", 0) == 0) o.dir = value("--dir=");
        else
            throw std::invalid_argument("unknown argument " + arg +
                                        " (--threads=N --samples=N --budget=SECONDS --max-leaves=N --out=FILE"
                                        " --label=TEXT --notice=FILE --dir=PATH)");
    }
    if (o.threads < 1 || o.threads > 256) throw std::invalid_argument("--threads must be 1..256");
    if (o.samples < 10 || o.samples > 10000) throw std::invalid_argument("--samples must be 10..10000");
    if (o.budget_seconds < 1 || o.budget_seconds > 3600) throw std::invalid_argument("--budget must be 1..3600");
    if (o.max_leaves < kSizes[0]) throw std::invalid_argument("--max-leaves must be at least 1000");
    return o;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

template <class T>
T must(Result<T> result, const char* what) {
    if (!result)
        throw std::runtime_error(std::string(what) + ": " + result.error().code + ": " + result.error().message);
    return std::move(result.value());
}

void must(const Status& status, const char* what) {
    if (!status.ok())
        throw std::runtime_error(std::string(what) + ": " + status.error().code + ": " + status.error().message);
}

RawHash bytes_of(const merkle::Hash& hash) { return RawHash(hash.begin(), hash.end()); }
std::vector<RawHash> bytes_of(const std::vector<merkle::Hash>& proof) {
    std::vector<RawHash> out;
    out.reserve(proof.size());
    for (const auto& h : proof) out.push_back(bytes_of(h));
    return out;
}

// A fresh directory under /tmp, removed with everything in it; or, with
// --dir, the given one, created if missing and kept.
class BenchDir {
public:
    explicit BenchDir(const std::string& kept) {
        if (!kept.empty()) {
            path_ = kept;
            std::filesystem::create_directories(path_);
            return;
        }
        char pattern[] = "/tmp/consent-log-bench-XXXXXX";
        if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
        temporary_ = true;
    }
    ~BenchDir() {
        if (!temporary_) return;
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    bool temporary_ = false;
};

// ------------------------------------------------------------------ the store

// Cheap and deterministic: the receipt is its slot, spelled out (no signature).
Result<server::SealedReceipt> cheap_seal(const server::ReceiptSlot& slot) {
    std::string payload = "{\"log_index\":" + std::to_string(slot.log_index) + ",\"prev\":\"" +
                          slot.previous_receipt_hash + "\",\"receipt_id\":\"" + slot.receipt_id +
                          "\",\"server_time\":" + std::to_string(slot.server_time) + "}";
    return server::SealedReceipt{"h.p." + slot.receipt_id, std::move(payload)};
}

Result<std::string> cheap_signer(std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp) {
    return "consentd log bench\n" + std::to_string(tree_size) + "\n" + hex_encode(root) + "\n" +
           std::to_string(timestamp) + "\n";
}

struct Fixture {
    Notice notice;
    std::string notice_hash;
    Decision decision;  // the template every append copies, with its own ids
};

Fixture make_fixture(const std::string& notice_path) {
    std::ifstream in(notice_path);
    if (!in) throw std::runtime_error("cannot read " + notice_path);
    Fixture f;
    f.notice = must(parse_notice(nlohmann::json::parse(in)), "notice");
    f.notice_hash = notice_content_hash(f.notice);
    DecisionRequest r;
    r.decision_id = "decision-template";
    r.subject_id = "subject-template";
    r.notice_id = f.notice.notice_id;
    r.notice_version = f.notice.version;
    r.notice_hash = f.notice_hash;
    r.language = "en";
    r.method = Method::accept_all;
    f.decision = must(make_decision(f.notice, f.notice_hash, r), "decision");
    return f;
}

void setup_site(server::ReceiptStore& store, const Fixture& f) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    must(store.put_site(server::Site{kSite, {"https://velo.example"}, now, {}}), "put_site");
    const auto canonical = must(canonicalize(notice_to_json(f.notice)), "canonicalize");
    must(store.publish_notice(server::StoredNotice{kSite, f.notice, f.notice_hash, canonical, now}), "publish");
}

// ------------------------------------------------------------------ ingest

struct IngestResult {
    bool reached = false;
    double window_rate = 0;    // median over the window's slices, appends/s
    double window_spread = 0;  // (max - min) / median of the slices
    double phase_seconds = 0;
    std::int64_t commits = 0;   // group commits during the phase
    std::int64_t appended = 0;  // appends during the phase
    std::size_t failures = 0;
};

// Appends until the log holds `target` leaves, or the deadline passes.
IngestResult grow_to(server::SqliteStore& store, const Fixture& f, std::int64_t target, int threads,
                     Clock::time_point deadline) {
    const std::int64_t start = *store.receipt_count();
    // The last 10% of the phase, but at least kMinWindow appends (at 10^3, 100 appends are ~4 commits).
    const std::int64_t window_start =
        target - std::min(target - start, std::max<std::int64_t>(kMinWindow, (target - start) / 10));
    // marks[k] = when the completed count reached window_start + k * slice (k = 0..kWindowSlices)
    const std::int64_t window = target - window_start;
    std::vector<std::int64_t> mark_counts;
    for (int k = 0; k <= kWindowSlices; ++k) mark_counts.push_back(window_start + window * k / kWindowSlices);
    std::vector<Clock::time_point> marks(mark_counts.size());
    std::vector<std::atomic<bool>> marked(mark_counts.size());
    for (auto& m : marked) m = false;

    std::atomic<std::int64_t> next{start};
    std::atomic<std::int64_t> done{start};
    std::atomic<std::size_t> failures{0};
    std::atomic<bool> stop{false};
    const std::int64_t commits_before = store.commit_count();
    const auto began = Clock::now();

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (;;) {
                if (stop.load(std::memory_order_relaxed)) return;
                const std::int64_t i = next.fetch_add(1);
                if (i >= target) return;
                if (Clock::now() > deadline) {
                    stop = true;
                    return;
                }
                Decision d = f.decision;
                d.decision_id = "decision-" + std::to_string(i);  // 8 to 64 characters
                d.subject_id = "s-" + std::to_string(i % 50000);  // subjects come back: their chains grow
                auto outcome =
                    store.append(server::AppendRequest{kSite, "r-" + std::to_string(i), std::move(d), cheap_seal});
                if (!outcome) {
                    if (failures++ == 0)
                        std::cerr << "append failed: " << outcome.error().code << ": " << outcome.error().message
                                  << std::endl;
                    stop = true;
                    return;
                }
                const std::int64_t count = done.fetch_add(1) + 1;
                for (std::size_t k = 0; k < mark_counts.size(); ++k)
                    if (count == mark_counts[k]) {
                        marks[k] = Clock::now();
                        marked[k] = true;
                    }
            }
        });
    for (auto& w : workers) w.join();

    IngestResult r;
    r.phase_seconds = seconds_between(began, Clock::now());
    r.commits = store.commit_count() - commits_before;
    r.failures = failures;
    r.appended = *store.receipt_count() - start;
    r.reached = *store.receipt_count() >= target && failures == 0;
    if (r.reached) {
        std::vector<double> rates;
        for (int k = 0; k < kWindowSlices; ++k) {
            if (!marked[k] || !marked[k + 1]) continue;
            const double s = seconds_between(marks[k], marks[k + 1]);
            if (s > 0) rates.push_back(static_cast<double>(mark_counts[k + 1] - mark_counts[k]) / s);
        }
        r.window_rate = median(rates);
        r.window_spread = spread(rates);
    }
    return r;
}

// ------------------------------------------------------------------ proofs

struct ProofResult {
    double prove_us = 0;   // median of store calls
    double verify_us = 0;  // median of core verifications
    double length = 0;     // median proof length in hashes
    std::size_t max_length = 0;
    std::size_t failures = 0;  // proofs that did not verify (a bug, never a timing)
};

std::string leaf_data_at(server::ReceiptStore& store, std::int64_t index) {
    auto receipts = store.receipts_after(kSite, index - 1, 1);
    if (!receipts || receipts->empty() || receipts->front().log_index != index)
        throw std::runtime_error("no receipt at log index " + std::to_string(index));
    return receipts->front().jws;
}

ProofResult measure_inclusion(server::SqliteStore& store, std::int64_t size, int samples, std::mt19937_64& rng) {
    const RawHash root = bytes_of(must(store.root_at(size), "root_at"));
    std::uniform_int_distribution<std::int64_t> pick(0, size - 1);
    std::vector<double> prove, verify, length;
    ProofResult r;
    for (int s = 0; s < samples; ++s) {
        const std::int64_t index = pick(rng);
        const RawHash leaf = bytes_of(merkle::leaf_hash(leaf_data_at(store, index)));
        const auto t0 = Clock::now();
        auto proof = store.inclusion_proof(index, size);
        const auto t1 = Clock::now();
        const auto path = bytes_of(must(std::move(proof), "inclusion_proof"));
        const auto t2 = Clock::now();
        const Status ok = merkle::verify_inclusion(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(size),
                                                   leaf, path, root);
        const auto t3 = Clock::now();
        if (!ok.ok()) ++r.failures;
        prove.push_back(seconds_between(t0, t1) * 1e6);
        verify.push_back(seconds_between(t2, t3) * 1e6);
        length.push_back(static_cast<double>(path.size()));
        r.max_length = std::max(r.max_length, path.size());
    }
    r.prove_us = median(prove);
    r.verify_us = median(verify);
    r.length = median(length);
    return r;
}

ProofResult measure_consistency(server::SqliteStore& store, std::int64_t size, int samples, std::mt19937_64& rng) {
    const RawHash root = bytes_of(must(store.root_at(size), "root_at"));
    std::uniform_int_distribution<std::int64_t> pick(1, size - 1);
    std::vector<double> prove, verify, length;
    ProofResult r;
    for (int s = 0; s < samples; ++s) {
        const std::int64_t old_size = pick(rng);
        const RawHash old_root = bytes_of(must(store.root_at(old_size), "root_at"));
        const auto t0 = Clock::now();
        auto proof = store.consistency_proof(old_size, size);
        const auto t1 = Clock::now();
        const auto path = bytes_of(must(std::move(proof), "consistency_proof"));
        const auto t2 = Clock::now();
        const Status ok = merkle::verify_consistency(static_cast<std::uint64_t>(old_size),
                                                     static_cast<std::uint64_t>(size), old_root, root, path);
        const auto t3 = Clock::now();
        if (!ok.ok()) ++r.failures;
        prove.push_back(seconds_between(t0, t1) * 1e6);
        verify.push_back(seconds_between(t2, t3) * 1e6);
        length.push_back(static_cast<double>(path.size()));
        r.max_length = std::max(r.max_length, path.size());
    }
    r.prove_us = median(prove);
    r.verify_us = median(verify);
    r.length = median(length);
    return r;
}

// ------------------------------------------------------------------ report

struct SizeResult {
    std::int64_t size = 0;
    IngestResult ingest;
    ProofResult inclusion;
    ProofResult consistency;
    long rss_kb = 0;       // the process's resident memory once the size was reached
    long peak_rss_kb = 0;  // and its peak so far
    double file_mb = 0;    // log.db and its WAL
};

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), 0 if absent.
long status_kb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
    return 0;
}

double files_mb(const std::filesystem::path& dir) {
    std::uintmax_t bytes = 0;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ignored))
        if (entry.is_regular_file(ignored)) bytes += entry.file_size(ignored);
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::string size_name(std::int64_t size) {
    const double exponent = std::log10(static_cast<double>(size));
    if (std::abs(exponent - std::round(exponent)) < 1e-9) return "10^" + std::to_string(std::lround(exponent));
    return with_thousands(static_cast<double>(size));
}

std::string render(const std::vector<SizeResult>& results, const Options& o, const std::string& stop_reason,
                   double ingest_seconds, const std::string& fs_note) {
    std::string out;
    char line[512];
    const char* columns = "%-10s %6s %12s %7s %9s %9s %8s %9s %9s %8s\n";
    out += "Receipt log: medians per size (" + std::to_string(o.threads) + " appender threads, " +
           std::to_string(o.samples) + " proofs per kind and size, times in microseconds)\n";
    std::snprintf(line, sizeof line, columns, "leaves", "log2 n", "ingest/s", "spread", "incl prf", "incl vfy",
                  "incl len", "cons prf", "cons vfy", "cons len");
    out += line;
    for (const auto& r : results) {
        std::snprintf(line, sizeof line, columns, size_name(r.size).c_str(),
                      fixed(std::log2(static_cast<double>(r.size)), 1).c_str(),
                      with_thousands(r.ingest.window_rate).c_str(),
                      (fixed(100.0 * r.ingest.window_spread, 0) + "%").c_str(), fixed(r.inclusion.prove_us, 1).c_str(),
                      fixed(r.inclusion.verify_us, 1).c_str(), fixed(r.inclusion.length, 0).c_str(),
                      fixed(r.consistency.prove_us, 1).c_str(), fixed(r.consistency.verify_us, 1).c_str(),
                      fixed(r.consistency.length, 0).c_str());
        out += line;
    }

    if (results.size() > 1) {
        out += "\nRatios to the smallest size (" + size_name(results.front().size) + ")\n";
        const char* ratio_columns = "%-10s %10s %9s %9s %9s %9s %9s %9s %9s\n";
        std::snprintf(line, sizeof line, ratio_columns, "leaves", "log2 ratio", "ingest", "incl prf", "incl vfy",
                      "incl len", "cons prf", "cons vfy", "cons len");
        out += line;
        const auto& base = results.front();
        const auto ratio = [](double a, double b) { return b > 0 ? fixed(a / b, 2) : std::string("-"); };
        for (std::size_t i = 1; i < results.size(); ++i) {
            const auto& r = results[i];
            std::snprintf(
                line, sizeof line, ratio_columns, size_name(r.size).c_str(),
                fixed(std::log2(static_cast<double>(r.size)) / std::log2(static_cast<double>(base.size)), 2).c_str(),
                ratio(r.ingest.window_rate, base.ingest.window_rate).c_str(),
                ratio(r.inclusion.prove_us, base.inclusion.prove_us).c_str(),
                ratio(r.inclusion.verify_us, base.inclusion.verify_us).c_str(),
                ratio(r.inclusion.length, base.inclusion.length).c_str(),
                ratio(r.consistency.prove_us, base.consistency.prove_us).c_str(),
                ratio(r.consistency.verify_us, base.consistency.verify_us).c_str(),
                ratio(r.consistency.length, base.consistency.length).c_str());
            out += line;
        }
    }

    out += "\nSizes reached: ";
    for (std::size_t i = 0; i < results.size(); ++i) out += (i ? ", " : "") + size_name(results[i].size);
    out += " (appending took " + fixed(ingest_seconds, 1) + " s of a " + fixed(o.budget_seconds, 0) + " s budget)\n";
    if (!stop_reason.empty()) out += "Stopped early: " + stop_reason + "\n";
    std::size_t failures = 0;
    for (const auto& r : results) failures += r.inclusion.failures + r.consistency.failures + r.ingest.failures;
    out += failures ? "FAILED: " + std::to_string(failures) + " appends or proofs that did not verify\n"
                    : "Every proof verified.\n";
    for (const auto& r : results)
        out += "  " + size_name(r.size) + ": " + with_thousands(static_cast<double>(r.size)) + " leaves, phase of " +
               fixed(r.ingest.phase_seconds, 1) + " s, " + with_thousands(static_cast<double>(r.ingest.commits)) +
               " group commits (" +
               fixed(r.ingest.commits ? static_cast<double>(r.ingest.appended) / static_cast<double>(r.ingest.commits)
                                      : 0.0,
                     1) +
               " appends/commit), longest proofs " + std::to_string(r.inclusion.max_length) + " / " +
               std::to_string(r.consistency.max_length) + " hashes; resident " +
               fixed(static_cast<double>(r.rss_kb) / 1024.0, 0) + " MiB (peak " +
               fixed(static_cast<double>(r.peak_rss_kb) / 1024.0, 0) + "), files " + fixed(r.file_mb, 0) + " MiB\n";
    // The growth target compares 10^5 with the largest size reached.
    const auto from =
        std::find_if(results.begin(), results.end(), [](const SizeResult& r) { return r.size == 100000; });
    if (from != results.end() && results.back().size > from->size && from->ingest.window_rate > 0) {
        const SizeResult& last = results.back();
        out += "From 10^5 to " + size_name(last.size) + ": ingest " +
               fixed(last.ingest.window_rate / from->ingest.window_rate, 2) + "x, inclusion proof " +
               fixed(last.inclusion.prove_us / from->inclusion.prove_us, 2) + "x, consistency proof " +
               fixed(last.consistency.prove_us / from->consistency.prove_us, 2) + "x; log2 ratio " +
               fixed(std::log2(static_cast<double>(last.size)) / std::log2(1e5), 2) + "\n";
    }
    out += fs_note;
    out +=
        "\n"
        "ingest/s: appends per second over the last 10% (at least 500) of appends before the size, median of 5 "
        "slices;\n"
        "          cheap deterministic seal and checkpoint signer (Ed25519 is measured by consentd_bench)\n"
        "spread:   (max - min) / median of those slices\n"
        "incl prf: SqliteStore::inclusion_proof for a random leaf at the current size\n"
        "incl vfy: core merkle::verify_inclusion of that proof against root_at(size)\n"
        "cons prf: SqliteStore::consistency_proof from a random old size to the current size\n"
        "cons vfy: core merkle::verify_consistency of that proof\n"
        "len:      proof length in hashes (median); at most ceil(log2 n) for inclusion, about one more for "
        "consistency\n"
        "ratios:   value at the size / value at the smallest size, next to log2(n) / log2(smallest n):\n"
        "          O(log n) proof cost keeps the time ratios near the log2 ratio, not near n / n0\n";
    return out;
}

std::string filesystem_note(const std::filesystem::path& dir) {
    // The bench's SQLite file lives on whatever /tmp is; on tmpfs fsync costs nothing.
    std::ifstream mounts("/proc/mounts");
    std::string device, mount, type, best_type;
    std::size_t best = 0;
    const std::string path = dir.string();
    while (mounts >> device >> mount >> type) {
        std::string rest;
        std::getline(mounts, rest);
        if (path.rfind(mount, 0) == 0 && mount.size() >= best) {
            best = mount.size();
            best_type = type;
        }
    }
    return "File: " + path + "/log.db on " + (best_type.empty() ? "an unknown file system" : best_type) + "\n";
}

}  // namespace

int main(int argc, char** argv) try {
    const Options o = parse_options(argc, argv);
    const Fixture fixture = make_fixture(o.notice);
    BenchDir dir(o.dir);
    const std::string fs_note = filesystem_note(dir.path());
    auto store = must(server::SqliteStore::open((dir.path() / "log.db").string(),
                                                [] { return static_cast<std::int64_t>(std::time(nullptr)); }),
                      "open");
    store->set_checkpoint_signer(cheap_signer);
    // A kept log from an earlier run has its site; sizes it already holds are measured without an ingest rate.
    if (must(store->receipt_count(), "receipt_count") == 0) setup_site(*store, fixture);

    std::mt19937_64 rng(20261127);
    std::vector<SizeResult> results;
    std::string stop_reason;
    double ingest_seconds = 0;
    const auto budget = std::chrono::duration<double>(o.budget_seconds);
    for (const std::int64_t size : kSizes) {
        if (size > o.max_leaves) {
            stop_reason = size_name(size) + " is above --max-leaves=" + std::to_string(o.max_leaves);
            break;
        }
        // Predict from the last window's rate whether the next size fits in what is left of the budget.
        const double left = o.budget_seconds - ingest_seconds;
        // A kept log (--dir) may hold the size already, or held the last one
        // (no rate measured): nothing to predict from, the budget still stops it.
        const bool measured = !results.empty() && results.back().ingest.window_rate > 0;
        if (measured && size > must(store->receipt_count(), "receipt_count")) {
            const double rate = results.back().ingest.window_rate;
            const double needed = rate > 0 ? static_cast<double>(size - results.back().size) / rate : 1e9;
            if (needed > left) {
                stop_reason = size_name(size) + " would need ~" + fixed(needed, 0) + " s of appending at " +
                              with_thousands(rate) + "/s, more than the " + fixed(left, 0) +
                              " s left of the --budget=" + fixed(o.budget_seconds, 0) + " s";
                break;
            }
        }
        std::cerr << "  growing the log to " << size_name(size) << " leaves" << std::endl;
        const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 budget - std::chrono::duration<double>(ingest_seconds));
        SizeResult r;
        r.size = size;
        r.ingest = grow_to(*store, fixture, size, o.threads, deadline);
        ingest_seconds += r.ingest.phase_seconds;
        if (!r.ingest.reached) {
            stop_reason = r.ingest.failures ? "appends failed on the way to " + size_name(size)
                                            : "the budget ran out at " +
                                                  with_thousands(static_cast<double>(*store->receipt_count())) +
                                                  " leaves on the way to " + size_name(size);
            break;
        }
        std::cerr << "  measuring proofs at " << size_name(size) << " leaves" << std::endl;
        r.inclusion = measure_inclusion(*store, size, o.samples, rng);
        r.consistency = measure_consistency(*store, size, o.samples, rng);
        r.rss_kb = status_kb("VmRSS");
        r.peak_rss_kb = status_kb("VmHWM");
        r.file_mb = files_mb(dir.path());
        results.push_back(r);
    }
    if (results.empty()) throw std::runtime_error("no size reached: " + stop_reason);

    std::string report = render(results, o, stop_reason, ingest_seconds, fs_note);
    if (!o.label.empty()) report = "Measured: " + o.label + "\n" + report;
    std::cout << "\n" << report;
    if (!o.out.empty()) {
        std::ofstream out(o.out);
        out << report;
    }
    store.reset();
    std::size_t failures = 0;
    for (const auto& r : results) failures += r.inclusion.failures + r.consistency.failures;
    return failures ? 1 : 0;
} catch (const std::exception& e) {
    std::cerr << "log_bench: " << e.what() << std::endl;
    return 2;
}
