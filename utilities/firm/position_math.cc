#include "utilities/firm/position_math.h"

#include <cstdlib>
#include <limits>

namespace triad::firm {
namespace {

using Wide = __int128;

bool fits(Wide value) {
  return value >= std::numeric_limits<int64_t>::min() &&
         value <= std::numeric_limits<int64_t>::max();
}

// a / b rounded half away from zero; b > 0.
Wide divideRounded(Wide a, Wide b) {
  const Wide half = b / 2;
  return a >= 0 ? (a + half) / b : -((-a + half) / b);
}

}  // namespace

std::optional<PositionState> applyFill(const PositionState& before, int64_t signedQuantity,
                                       int64_t priceMicros) {
  Wide quantity = before.quantity;
  Wide cost = before.costBasisMicros;
  Wide realised = before.realisedPnlMicros;
  const Wide fill = signedQuantity;
  const Wide price = priceMicros;

  const bool reduces = quantity != 0 && (quantity > 0) != (fill > 0);
  Wide opening = fill;  // the part of the fill that opens or adds
  if (reduces) {
    const Wide held = quantity > 0 ? quantity : -quantity;
    const Wide traded = fill > 0 ? fill : -fill;
    const Wide closed = traded < held ? traded : held;
    // All of it when the position closes, so no rounding residue stays behind.
    const Wide costClosed = closed == held ? cost : divideRounded(cost * closed, held);
    const Wide proceeds = (quantity > 0 ? closed : -closed) * price;
    realised += proceeds - costClosed;
    cost -= costClosed;
    quantity += fill > 0 ? closed : -closed;
    opening = fill > 0 ? traded - closed : -(traded - closed);
  }
  quantity += opening;
  cost += opening * price;

  if (!fits(quantity) || !fits(cost) || !fits(realised)) return std::nullopt;
  return PositionState{static_cast<int64_t>(quantity), static_cast<int64_t>(cost),
                       static_cast<int64_t>(realised)};
}

int64_t averageCostMicros(const PositionState& position) {
  if (position.quantity == 0) return 0;
  const Wide quantity = position.quantity;
  const Wide magnitude = quantity > 0 ? quantity : -quantity;
  // Cost and quantity share their sign, so the average is positive.
  Wide cost = position.costBasisMicros;
  if (quantity < 0) cost = -cost;
  return static_cast<int64_t>(divideRounded(cost, magnitude));
}

}  // namespace triad::firm
