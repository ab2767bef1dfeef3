#include "bench/writer_pool.h"

#include <algorithm>
#include <array>

namespace triad::bench {

WriterPool::WriterPool(BenchSite& site, std::string idPrefix, int writers)
    : site_(site), idPrefix_(std::move(idPrefix)), writers_(static_cast<size_t>(writers)) {
  for (size_t i = 0; i < writers_.size(); ++i) {
    writers_[i].thread = std::thread([this, i] { run(static_cast<int>(i), writers_[i]); });
  }
}

WriterPool::~WriterPool() {
  if (!finished_) {
    closeWindow();
    finish();
  }
}

void WriterPool::run(int index, Writer& writer) {
  for (uint64_t sequence = 0; !stopping_.load(std::memory_order_relaxed);) {
    std::array<OrderRecord, kOrdersPerCommit> orders;
    for (OrderRecord& order : orders) fillOrder(order, idPrefix_, index, sequence++);
    const auto start = std::chrono::steady_clock::now();
    bdb::Status s = site_.commit(orders);
    const auto latency = std::chrono::steady_clock::now() - start;
    if (!counting_.load(std::memory_order_acquire)) continue;
    if (s.isOk()) {
      writer.latencies.push_back(std::chrono::nanoseconds(latency).count());
    } else if (writer.failed++ == 0) {
      writer.firstFailure = s.toString();
    }
  }
}

void WriterPool::openWindow() {
  transactionsAtOpen_ = site_.transactions();
  openedAt_ = std::chrono::steady_clock::now();
  counting_.store(true, std::memory_order_release);
}

void WriterPool::closeWindow() {
  counting_.store(false, std::memory_order_release);
  closedAt_ = std::chrono::steady_clock::now();
  transactionsAtClose_ = site_.transactions();
}

WindowResult WriterPool::finish() {
  stopping_ = true;
  for (Writer& writer : writers_) writer.thread.join();
  finished_ = true;
  WindowResult result;
  result.seconds = std::chrono::duration<double>(closedAt_ - openedAt_).count();
  result.transactions = transactionsAtClose_ - transactionsAtOpen_;
  std::vector<int64_t> latencies;
  for (Writer& writer : writers_) {
    latencies.insert(latencies.end(), writer.latencies.begin(), writer.latencies.end());
    result.failed += writer.failed;
    if (result.firstFailure.empty()) result.firstFailure = writer.firstFailure;
  }
  result.acknowledged = latencies.size();
  if (latencies.empty()) return result;
  std::sort(latencies.begin(), latencies.end());
  // Nearest rank, in milliseconds.
  auto percentile = [&](double p) {
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(latencies.size()) + 0.999999);
    rank = std::clamp<size_t>(rank, 1, latencies.size());
    return static_cast<double>(latencies[rank - 1]) / 1e6;
  };
  result.p50Ms = percentile(50);
  result.p90Ms = percentile(90);
  result.p99Ms = percentile(99);
  result.p999Ms = percentile(99.9);
  result.maxMs = static_cast<double>(latencies.back()) / 1e6;
  const int64_t slow = std::chrono::nanoseconds(kSlowCommit).count();
  result.slow = static_cast<uint64_t>(latencies.end() -
                                      std::upper_bound(latencies.begin(), latencies.end(), slow));
  return result;
}

}  // namespace triad::bench
