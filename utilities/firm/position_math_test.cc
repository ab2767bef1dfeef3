#include "utilities/firm/position_math.h"

#include <gtest/gtest.h>

#include <limits>

namespace triad::firm {
namespace {

constexpr int64_t kDollar = 1'000'000;

TEST(ApplyFill, BuyingAddsCostAndSellingRealisesAgainstAverageCost) {
  PositionState p;
  p = *applyFill(p, 100, 10 * kDollar);
  p = *applyFill(p, 100, 12 * kDollar);
  EXPECT_EQ(p, (PositionState{200, 2'200 * kDollar, 0}));
  EXPECT_EQ(averageCostMicros(p), 11 * kDollar);

  p = *applyFill(p, -50, 15 * kDollar);  // (15 - 11) * 50
  EXPECT_EQ(p, (PositionState{150, 1'650 * kDollar, 200 * kDollar}));
  p = *applyFill(p, -150, 10 * kDollar);  // (10 - 11) * 150
  EXPECT_EQ(p, (PositionState{0, 0, 50 * kDollar}));
}

TEST(ApplyFill, CoveringAShortRealisesTheAverageShortPriceMinusThePrice) {
  PositionState p = *applyFill({}, -100, 20 * kDollar);
  EXPECT_EQ(p, (PositionState{-100, -2'000 * kDollar, 0}));
  EXPECT_EQ(averageCostMicros(p), 20 * kDollar);
  p = *applyFill(p, 40, 18 * kDollar);  // (20 - 18) * 40
  EXPECT_EQ(p, (PositionState{-60, -1'200 * kDollar, 80 * kDollar}));
}

TEST(ApplyFill, CrossingZeroClosesThenOpensAtTheFillPrice) {
  PositionState p = *applyFill({}, 100, 10 * kDollar);
  p = *applyFill(p, -150, 12 * kDollar);
  EXPECT_EQ(p, (PositionState{-50, -600 * kDollar, 200 * kDollar}));
  p = *applyFill(p, 80, 11 * kDollar);  // covers 50 at 11 (short at 12: +50), opens 30 at 11
  EXPECT_EQ(p, (PositionState{30, 330 * kDollar, 250 * kDollar}));
}

TEST(ApplyFill, PartialClosesLeaveNoResidueWhenThePositionCloses) {
  PositionState p = *applyFill({}, 3, 10 * kDollar + 1);  // cost 30.000003
  p = *applyFill(p, -1, 10 * kDollar);
  p = *applyFill(p, -1, 10 * kDollar);
  p = *applyFill(p, -1, 10 * kDollar);
  EXPECT_EQ(p.quantity, 0);
  EXPECT_EQ(p.costBasisMicros, 0);
  EXPECT_EQ(p.realisedPnlMicros, -3);
}

TEST(ApplyFill, RefusesWhatDoesNotFit) {
  EXPECT_FALSE(applyFill({}, std::numeric_limits<int64_t>::max(), 2).has_value());
}

}  // namespace
}  // namespace triad::firm
