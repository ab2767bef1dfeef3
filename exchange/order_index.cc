#include "exchange/order_index.h"

#include <cassert>
#include <utility>

namespace triad::exchange {
namespace {

constexpr size_t kInitialCapacity = 1024;
constexpr int kInitialShift = 64 - 10;
static_assert(size_t{1} << (64 - kInitialShift) == kInitialCapacity);

}  // namespace

OrderIndex::OrderIndex()
    : buckets_(kInitialCapacity), mask_(kInitialCapacity - 1), shift_(kInitialShift) {}

// Ids are mostly consecutive; Fibonacci hashing spreads consecutive keys
// evenly over the table instead of clustering them into one probe run.
size_t OrderIndex::home(OrderId id) const {
  return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
}

void OrderIndex::insert(OrderId id, uint32_t slot) {
  assert(id != kNoOrderId);
  if ((size_ + 1) * 2 > buckets_.size()) grow();
  for (size_t i = home(id);; i = (i + 1) & mask_) {
    Bucket& bucket = buckets_[i];
    assert(bucket.id != id);
    if (bucket.id == kNoOrderId) {
      bucket = {id, slot};
      ++size_;
      return;
    }
  }
}

std::optional<uint32_t> OrderIndex::find(OrderId id) const {
  if (id == kNoOrderId) return std::nullopt;
  for (size_t i = home(id);; i = (i + 1) & mask_) {
    const Bucket& bucket = buckets_[i];
    if (bucket.id == id) return bucket.slot;
    if (bucket.id == kNoOrderId) return std::nullopt;
  }
}

void OrderIndex::erase(OrderId id) {
  size_t hole = home(id);
  while (buckets_[hole].id != id) {
    assert(buckets_[hole].id != kNoOrderId);
    hole = (hole + 1) & mask_;
  }
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when their home is at or before it, so no tombstones accumulate.
  for (size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
    const Bucket& candidate = buckets_[next];
    if (candidate.id == kNoOrderId) break;
    size_t candidateHome = home(candidate.id);
    // Distance from home, modulo capacity: can the candidate move to hole?
    if (((next - candidateHome) & mask_) >= ((next - hole) & mask_)) {
      buckets_[hole] = candidate;
      hole = next;
    }
  }
  buckets_[hole] = Bucket{};
  --size_;
}

void OrderIndex::grow() {
  std::vector<Bucket> old = std::exchange(buckets_, std::vector<Bucket>(buckets_.size() * 2));
  mask_ = buckets_.size() - 1;
  --shift_;
  for (const Bucket& bucket : old) {
    if (bucket.id == kNoOrderId) continue;
    for (size_t i = home(bucket.id);; i = (i + 1) & mask_) {
      if (buckets_[i].id == kNoOrderId) {
        buckets_[i] = bucket;
        break;
      }
    }
  }
}

}  // namespace triad::exchange
