// The master's writers in the storage floor benchmark: `writers` threads,
// each committing transactions of kOrdersPerCommit orders back to back
// through a BenchSite. A commit counts when it completes while the
// measurement window is open: acknowledged (its latency is kept) or failed.
//
// Thread-safety: the methods are called from one thread, the one that made
// the pool.

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_site.h"

namespace triad::bench {

inline constexpr int kOrdersPerCommit = 4;
// A commit slower than this is counted as a stall.
inline constexpr std::chrono::milliseconds kSlowCommit{100};

struct WindowResult {
  double seconds = 0;         // how long the window was open
  uint64_t acknowledged = 0;  // commits acknowledged in it
  uint64_t failed = 0;        // commits that returned an error in it
  std::string firstFailure;
  uint64_t transactions = 0;  // Berkeley DB transactions the master committed in it
  uint64_t slow = 0;          // acknowledged commits slower than kSlowCommit
  double p50Ms = 0, p90Ms = 0, p99Ms = 0, p999Ms = 0, maxMs = 0;
};

class WriterPool {
 public:
  // Starts the writers; the ids of their orders begin with `idPrefix`.
  WriterPool(BenchSite& site, std::string idPrefix, int writers);
  ~WriterPool();
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  void openWindow();
  void closeWindow();
  // Stops the writers (each finishes the commit it is in) and reports the
  // window. REQUIRES: closeWindow() was called.
  WindowResult finish();

 private:
  struct Writer {
    std::vector<int64_t> latencies;  // nanoseconds, acknowledged commits in the window
    uint64_t failed = 0;
    std::string firstFailure;
    std::thread thread;
  };
  void run(int index, Writer& writer);

  BenchSite& site_;
  const std::string idPrefix_;
  std::vector<Writer> writers_;
  std::atomic<bool> counting_{false};
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point openedAt_, closedAt_;
  uint64_t transactionsAtOpen_ = 0, transactionsAtClose_ = 0;
  bool finished_ = false;
};

}  // namespace triad::bench
