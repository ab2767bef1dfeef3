#include "tools/triad-loadgen/latency_samples.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace triad::loadgen {
namespace {

// Nearest-rank percentile of sorted samples, in milliseconds.
double rankMs(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // The epsilon keeps 99.9% of 1000 at rank 999: 99.9 / 100 * 1000 is 999.0000000000001.
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-9);
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  index = std::min(index, sorted.size() - 1);
  return static_cast<double>(sorted[index]) / 1e6;
}

}  // namespace

double LatencySamples::percentileMs(double p) const {
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  return rankMs(sorted, p);
}

LatencySummary LatencySamples::summary() const {
  LatencySummary out;
  out.count = samples_.size();
  if (samples_.empty()) return out;
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  out.p50Ms = rankMs(sorted, 50);
  out.p90Ms = rankMs(sorted, 90);
  out.p99Ms = rankMs(sorted, 99);
  out.p999Ms = rankMs(sorted, 99.9);
  out.maxMs = static_cast<double>(sorted.back()) / 1e6;
  out.meanMs = static_cast<double>(std::accumulate(sorted.begin(), sorted.end(), int64_t{0})) /
               static_cast<double>(sorted.size()) / 1e6;
  return out;
}

}  // namespace triad::loadgen
