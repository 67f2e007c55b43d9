// The bench's table: one row per measurement with the median over its
// repetitions, how far the repetitions spread, latency percentiles, and the
// ratios to the ceilings measured in the same run.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace consent::bench {

struct Row {
    std::string section;  // printed as a heading when it changes
    std::string name;
    std::string clients;
    std::vector<double> rates;   // per repetition, per second; empty: not a throughput
    std::vector<double> p50_ms;  // per repetition
    std::vector<double> p99_ms;  // per repetition
    std::vector<double> cpu_us;  // per repetition: process CPU microseconds per item
    std::size_t failures = 0;    // over all repetitions
    double per_sign = 0.0;       // rate ÷ Ed25519 signatures/s (0: not applicable)
    double per_commit = 0.0;     // rate ÷ SQLite durable commits/s
    double per_http = 0.0;       // rate ÷ bare cpp-httplib GETs/s at the same client count
    std::string note;

    double rate() const;
};

std::string render_table(const std::vector<Row>& rows);
std::string render_legend();

}  // namespace consent::bench
