// What an open buy holds of an account's cash: the figure the pre-trade
// check subtracts and the balance's `reserved` shows (issue 16: a market buy
// showed reserved 0.00 while the check held its collared notional).

#include "utilities/customer/buying_power.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <memory>

namespace triad::customer {
namespace {

constexpr int64_t kDollar = 1'000'000;

capnp::MallocMessageBuilder* orderOf(idl::Side side, idl::OrderType type, int64_t quantity,
                                     int64_t limitMicros, int64_t lastMicros) {
  auto* message = new capnp::MallocMessageBuilder;
  auto order = message->initRoot<idl::Order>();
  order.setSide(side);
  order.setType(type);
  order.setQuantity(quantity);
  order.setLimitPriceMicros(limitMicros);
  if (side == idl::Side::BUY) {
    order.setReservedMicros(BuyingPower::reserveFor(order.asReader(), lastMicros));
  }
  return message;
}

TEST(BuyingPowerTest, AMarketBuyHoldsWhatItReservedAtPlacementForItsLeaves) {
  std::unique_ptr<capnp::MallocMessageBuilder> market(
      orderOf(idl::Side::BUY, idl::OrderType::MARKET, 10, 0, 100 * kDollar));
  idl::Order::Reader order = market->getRoot<idl::Order>().asReader();
  // Collared 5% above the last price: 10 x 105.00.
  EXPECT_EQ(order.getReservedMicros(), 1'050 * kDollar);
  EXPECT_EQ(BuyingPower::heldBy(order, 10), 1'050 * kDollar);
  EXPECT_EQ(BuyingPower::heldBy(order, 4), 420 * kDollar);  // 6 filled
  EXPECT_EQ(BuyingPower::heldBy(order, 0), 0);
}

TEST(BuyingPowerTest, ALimitBuyHoldsItsLeavesAtItsLimitAndASellNothing) {
  std::unique_ptr<capnp::MallocMessageBuilder> limit(
      orderOf(idl::Side::BUY, idl::OrderType::LIMIT, 10, 20 * kDollar, 0));
  EXPECT_EQ(BuyingPower::heldBy(limit->getRoot<idl::Order>().asReader(), 7), 140 * kDollar);
  std::unique_ptr<capnp::MallocMessageBuilder> sell(
      orderOf(idl::Side::SELL, idl::OrderType::MARKET, 10, 0, 100 * kDollar));
  EXPECT_EQ(BuyingPower::heldBy(sell->getRoot<idl::Order>().asReader(), 10), 0);
}

}  // namespace
}  // namespace triad::customer
