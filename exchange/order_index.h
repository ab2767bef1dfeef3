// OrderId -> slot of a resting order, for cancels. An open-addressing hash
// table (linear probing, backward-shift deletion) in one flat array: a
// std::unordered_map would allocate a node for every order that rests.
//
// Keys are never kNoOrderId (0), which marks an empty bucket. Capacity is a
// power of two kept at most half full, so probes stay short.
//
// Thread-safety: none; owned by one OrderBook.

#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "exchange/order.h"

namespace triad::exchange {

class OrderIndex {
 public:
  OrderIndex();

  // REQUIRES: id != kNoOrderId and id is not already present.
  void insert(OrderId id, uint32_t slot);
  std::optional<uint32_t> find(OrderId id) const;
  // REQUIRES: id is present.
  void erase(OrderId id);

  size_t size() const { return size_; }

 private:
  struct Bucket {
    OrderId id = kNoOrderId;
    uint32_t slot = 0;
  };

  size_t home(OrderId id) const;
  void grow();

  std::vector<Bucket> buckets_;
  size_t mask_;
  int shift_;  // 64 - log2(capacity), for Fibonacci hashing
  size_t size_ = 0;
};

}  // namespace triad::exchange
