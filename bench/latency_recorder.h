// Collects per-operation latencies from many threads and reports percentiles.

#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace triad::bench {

class LatencyRecorder {
 public:
  void add(std::chrono::nanoseconds latency) {
    std::lock_guard lock(mutex_);
    samples_.push_back(latency.count());
  }
  void merge(const std::vector<int64_t>& samples) {
    std::lock_guard lock(mutex_);
    samples_.insert(samples_.end(), samples.begin(), samples.end());
  }
  // The p-th percentile (0..100) in milliseconds; 0 when empty.
  double percentileMs(double p) {
    std::lock_guard lock(mutex_);
    if (samples_.empty()) return 0;
    std::sort(samples_.begin(), samples_.end());
    size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(samples_.size() - 1));
    return static_cast<double>(samples_[index]) / 1e6;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return samples_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<int64_t> samples_;  // guarded by mutex_, nanoseconds
};

}  // namespace triad::bench
