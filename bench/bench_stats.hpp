// Order statistics for the bench: latency percentiles within one repetition,
// medians across repetitions. Nearest rank, so every reported figure is a value
// that was actually measured, never an interpolation.
#pragma once

#include <vector>

namespace consent::bench {

// p in [0, 100]; 0 for no values.
double percentile(std::vector<double> values, double p);
double median(std::vector<double> values);
// (max - min) / median, as a fraction: how much the repetitions disagree.
double spread(const std::vector<double>& values);

}  // namespace consent::bench
