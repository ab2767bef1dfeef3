// One side of an order book: its price levels, best first to the caller,
// each with the head and tail of its FIFO queue of resting orders. The orders
// themselves live in the OrderBook's pool; a level only holds slot numbers.
//
// Levels are kept in one sorted vector with the best level at the back. Most
// activity is at or near the best price, so inserting or removing a level
// moves only the few levels behind it, and finding a price scans a few levels
// from the back before falling back to binary search. A std::map would
// allocate a node per level and chase pointers on every lookup.
//
// Thread-safety: none; owned by one OrderBook.

#pragma once

#include <cstdint>
#include <vector>

#include "exchange/order.h"

namespace triad::exchange {

inline constexpr uint32_t kNoSlot = UINT32_MAX;

class PriceLevels {
 public:
  struct Level {
    int64_t priceMicros = 0;
    int64_t quantity = 0;  // sum of the leaves of the orders queued here
    uint32_t head = kNoSlot;
    uint32_t tail = kNoSlot;
    uint32_t orderCount = 0;
  };

  explicit PriceLevels(Side side) : sign_(side == Side::kBuy ? 1 : -1) {}

  bool empty() const { return levels_.empty(); }
  size_t size() const { return levels_.size(); }

  // REQUIRES: !empty().
  Level& best() { return levels_.back(); }
  const Level& best() const { return levels_.back(); }
  void removeBest() { levels_.pop_back(); }

  // The i-th level counting from the best (0). REQUIRES: i < size().
  const Level& fromBest(size_t i) const { return levels_[levels_.size() - 1 - i]; }

  // Would an incoming order on the other side, limited at limitPriceMicros,
  // trade with the best level? REQUIRES: !empty().
  bool crossedBy(int64_t limitPriceMicros) const {
    return levels_.back().priceMicros * sign_ >= limitPriceMicros * sign_;
  }

  // The level at a price, created empty if there is none. The reference is
  // valid until the next call that adds or removes a level.
  Level& levelAt(int64_t priceMicros);

  // nullptr when no level has this price.
  Level* find(int64_t priceMicros);

  // REQUIRES: a level at this price exists.
  void remove(int64_t priceMicros);

  // Removes every level whose queue is empty, keeping the order of the rest.
  void removeEmptyLevels();

  // For walks over every level (worst to best) that may edit queues.
  std::vector<Level>& all() { return levels_; }

 private:
  // First index whose level is better than priceMicros (levels_.size() when
  // none is): the position a new level for priceMicros is inserted at.
  size_t firstBetter(int64_t priceMicros) const;

  // +1 for bids (higher is better), -1 for asks; price * sign_ ascends from
  // index 0 to the best level at the back.
  const int64_t sign_;
  std::vector<Level> levels_;
};

}  // namespace triad::exchange
