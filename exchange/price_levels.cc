#include "exchange/price_levels.h"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace triad::exchange {
namespace {

// How many levels to scan from the best before binary search takes over.
constexpr size_t kLinearScanLevels = 8;

}  // namespace

size_t PriceLevels::firstBetter(int64_t priceMicros) const {
  const int64_t key = priceMicros * sign_;
  size_t i = levels_.size();
  for (size_t scanned = 0; i > 0 && scanned < kLinearScanLevels; ++scanned) {
    if (levels_[i - 1].priceMicros * sign_ <= key) return i;
    --i;
  }
  auto it = std::upper_bound(
      levels_.begin(), levels_.begin() + static_cast<std::ptrdiff_t>(i), key,
      [this](int64_t k, const Level& level) { return k < level.priceMicros * sign_; });
  return static_cast<size_t>(it - levels_.begin());
}

PriceLevels::Level& PriceLevels::levelAt(int64_t priceMicros) {
  size_t i = firstBetter(priceMicros);
  if (i > 0 && levels_[i - 1].priceMicros == priceMicros) return levels_[i - 1];
  auto it = levels_.insert(levels_.begin() + static_cast<std::ptrdiff_t>(i), Level{});
  it->priceMicros = priceMicros;
  return *it;
}

PriceLevels::Level* PriceLevels::find(int64_t priceMicros) {
  size_t i = firstBetter(priceMicros);
  if (i > 0 && levels_[i - 1].priceMicros == priceMicros) return &levels_[i - 1];
  return nullptr;
}

void PriceLevels::remove(int64_t priceMicros) {
  size_t i = firstBetter(priceMicros);
  assert(i > 0 && levels_[i - 1].priceMicros == priceMicros);
  levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(i - 1));
}

void PriceLevels::removeEmptyLevels() {
  std::erase_if(levels_, [](const Level& level) { return level.head == kNoSlot; });
}

}  // namespace triad::exchange
