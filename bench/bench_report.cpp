#include "bench_report.hpp"

#include <cmath>
#include <cstdio>

#include "bench_format.hpp"
#include "bench_stats.hpp"

namespace consent::bench {
namespace {

// Plain ASCII only: a multi-byte character would break printf's column widths.
constexpr const char* kColumns = "%-44s %7s %11s %6s %8s %8s %7s %7s %8s %6s  %s\n";

std::string ratio(double value) {
    if (value <= 0.0) return "";
    return fixed(value, value < 10.0 ? 2 : 1);
}

std::string percent(const std::vector<double>& rates) {
    if (rates.size() < 2) return "";
    return fixed(100.0 * spread(rates), 0) + "%";
}

std::string latency(const std::vector<double>& values) { return values.empty() ? "" : fixed(median(values), 2); }

std::string line(const Row& r) {
    std::string note = r.note;
    if (r.failures > 0) note += (note.empty() ? "" : "; ") + std::to_string(r.failures) + " FAILED requests";
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, kColumns, ("  " + r.name).c_str(), r.clients.c_str(),
                  r.rates.empty() ? "" : with_thousands(r.rate()).c_str(), percent(r.rates).c_str(),
                  latency(r.p50_ms).c_str(), latency(r.p99_ms).c_str(),
                  r.cpu_us.empty() ? "" : fixed(median(r.cpu_us), 1).c_str(), ratio(r.per_sign).c_str(),
                  ratio(r.per_commit).c_str(), ratio(r.per_http).c_str(), note.c_str());
    return buffer;
}

}  // namespace

double Row::rate() const { return median(rates); }

std::string render_table(const std::vector<Row>& rows) {
    char header[512];
    std::snprintf(header, sizeof header, kColumns, "measurement", "clients", "median/s", "spread", "p50 ms", "p99 ms",
                  "cpu us", "/sign", "/commit", "/http", "note");
    std::string out = header;
    std::string section;
    for (const auto& r : rows) {
        if (r.section != section) {
            section = r.section;
            out += section + "\n";
        }
        out += line(r);
    }
    return out;
}

std::string render_legend() {
    return "median/s: median over the repetitions of items per second (receipts, checks, pairs, signatures, "
           "commits, GETs)\n"
           "spread:   (max - min) / median of those repetitions\n"
           "p50/p99:  latency percentiles of each repetition, medians over the repetitions "
           "(withdrawals: over all samples)\n"
           "cpu us:   CPU time of the whole process (server, clients, kernel on their behalf) per item, median\n"
           "          over the repetitions: what one costs, less distorted by a busy neighbour than a rate\n"
           "/sign:    median/s / Ed25519 signatures/s on one core (each receipt needs one signature)\n"
           "/commit:  median/s / SQLite durable commits/s (> 1: group commit pays off)\n"
           "/http:    median/s / bare cpp-httplib GETs/s at the same number of clients (receipts: POSTs\n"
           "          of a receipt's sizes): the share of bare HTTP left after the work itself\n";
}

}  // namespace consent::bench
