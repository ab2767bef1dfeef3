// Average-cost position keeping, one fill at a time.
//
// costBasisMicros is the total cost of the open quantity and carries its
// sign: long 100 bought at 10.00 is +1,000.00, short 100 sold at 10.00 is
// -1,000.00 (the proceeds). A fill that adds to the position adds its cost; a
// fill that reduces it takes out the closed shares' share of the cost basis
// and realises the difference: closing long shares realises
// (price - average cost) * shares, covering short shares realises
// (average short price - price) * shares. A fill that crosses zero closes the
// whole position and opens the rest at the fill price.

#pragma once

#include <cstdint>
#include <optional>

namespace triad::firm {

struct PositionState {
  int64_t quantity = 0;
  int64_t costBasisMicros = 0;
  int64_t realisedPnlMicros = 0;
  friend bool operator==(const PositionState&, const PositionState&) = default;
};

// The position after `signedQuantity` shares (positive: bought, negative:
// sold) at `priceMicros`; nullopt if a figure would not fit in 64 bits.
std::optional<PositionState> applyFill(const PositionState& before, int64_t signedQuantity,
                                       int64_t priceMicros);

// costBasis / quantity rounded to the nearest micro; 0 when flat.
int64_t averageCostMicros(const PositionState& position);

}  // namespace triad::firm
