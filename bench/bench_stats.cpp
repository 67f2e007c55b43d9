#include "bench_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace consent::bench {

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0.0;
    const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
    const std::size_t index = rank < 1.0 ? 0 : std::min(values.size() - 1, static_cast<std::size_t>(rank) - 1);
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

double median(std::vector<double> values) { return percentile(std::move(values), 50.0); }

double spread(const std::vector<double>& values) {
    if (values.size() < 2) return 0.0;
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    const double middle = median(values);
    return middle > 0.0 ? (*high - *low) / middle : 0.0;
}

}  // namespace consent::bench
