// Latency samples of one kind (placeOrder acknowledgement, fill visible, ...)
// and their percentiles. Debian 12 packages no C or C++ HdrHistogram (only
// the Java and Go ones), so every sample is kept and sorted once at report
// time: exact percentiles, 8 bytes per sample (a minute at 10k/s is 5 MB).
//
// Thread-safety: none; the load generator's event loop owns it.

#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace triad::loadgen {

struct LatencySummary {
  size_t count = 0;
  double p50Ms = 0, p90Ms = 0, p99Ms = 0, p999Ms = 0, maxMs = 0, meanMs = 0;
};

class LatencySamples {
 public:
  void add(std::chrono::nanoseconds latency) { samples_.push_back(latency.count()); }
  size_t count() const { return samples_.size(); }
  // The p-th percentile (0..100) in milliseconds of what was added so far; 0 when empty.
  double percentileMs(double p) const;
  LatencySummary summary() const;
  // The samples (ns) in the order they were added.
  const std::vector<int64_t>& samples() const { return samples_; }

 private:
  std::vector<int64_t> samples_;  // nanoseconds
};

}  // namespace triad::loadgen
