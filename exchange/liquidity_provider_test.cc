#include "exchange/liquidity_provider.h"

#include <gtest/gtest.h>

#include <vector>

namespace triad::exchange {
namespace {

constexpr int64_t kDollar = 1'000'000;
constexpr int64_t kCent = 10'000;
constexpr int64_t kReference = 100 * kDollar;

SymbolLiquidity acme() {
  return {.symbol = "ACME",
          .referencePriceMicros = kReference,
          .tickMicros = kCent,
          .levels = 3,
          .quantityPerLevel = 100};
}

OrderRequest order(Side side, OrderType type, int64_t priceMicros, int64_t quantity,
                   TimeInForce timeInForce = TimeInForce::kDay) {
  return {.side = side,
          .type = type,
          .timeInForce = timeInForce,
          .priceMicros = priceMicros,
          .quantity = quantity,
          .clientOrderId = 1};
}

class LiquidityProviderTest : public ::testing::Test {
 protected:
  LiquidityProviderTest() {
    EXPECT_EQ(engine_.addSymbol("ACME"), Reason::kNone);
    EXPECT_EQ(provider_.start(events_), std::nullopt);
  }

  // What a driver of the engine does: submit, then let the provider see.
  OrderId customer(const OrderRequest& request) {
    events_.clear();
    OrderId id = engine_.submit("ACME", request, events_);
    provider_.onEvents(events_);
    return id;
  }

  std::vector<PriceLevel> depth(Side side) {
    return engine_.findBook("ACME")->depth(side, SIZE_MAX);
  }

  MatchingEngine engine_;
  LiquidityProvider provider_{engine_, {.symbols = {acme()}}};
  std::vector<BookEvent> events_;
};

TEST_F(LiquidityProviderTest, PlacesLevelsAroundTheReferencePrice) {
  EXPECT_EQ(depth(Side::kBuy), (std::vector<PriceLevel>{{kReference - kCent, 100, 1},
                                                        {kReference - 2 * kCent, 100, 1},
                                                        {kReference - 3 * kCent, 100, 1}}));
  EXPECT_EQ(depth(Side::kSell), (std::vector<PriceLevel>{{kReference + kCent, 100, 1},
                                                         {kReference + 2 * kCent, 100, 1},
                                                         {kReference + 3 * kCent, 100, 1}}));
  EXPECT_EQ(provider_.openOrderCount(), 6u);
  ASSERT_EQ(events_.size(), 6u);
  for (const BookEvent& event : events_) {
    EXPECT_EQ(event.type, EventType::kAccepted);
    EXPECT_TRUE(provider_.owns(event.orderId));
    EXPECT_GE(event.clientOrderId, uint64_t{1} << 63);
  }
}

TEST_F(LiquidityProviderTest, CustomerMarketOrderFillsAndTheLevelIsReplaced) {
  OrderId buy = customer(order(Side::kBuy, OrderType::kMarket, 0, 150));
  ASSERT_NE(buy, kNoOrderId);
  ASSERT_GE(events_.size(), 3u);
  EXPECT_EQ(events_[1].type, EventType::kFill);
  EXPECT_EQ(events_[1].priceMicros, kReference + kCent);
  EXPECT_EQ(events_[1].quantity, 100);
  EXPECT_FALSE(provider_.owns(events_[1].restingOrderId));  // filled, so forgotten
  EXPECT_EQ(events_[2].type, EventType::kFill);
  EXPECT_EQ(events_[2].priceMicros, kReference + 2 * kCent);
  EXPECT_EQ(events_[2].quantity, 50);
  EXPECT_EQ(events_[2].cumulativeQuantity, 150);
  // The provider's new order for the emptied level comes after the fills.
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[3].type, EventType::kAccepted);
  EXPECT_TRUE(provider_.owns(events_[3].orderId));
  EXPECT_EQ(events_[3].priceMicros, kReference + kCent);

  // The consumed level is whole again; the partly filled one is left alone.
  EXPECT_EQ(depth(Side::kSell), (std::vector<PriceLevel>{{kReference + kCent, 100, 1},
                                                         {kReference + 2 * kCent, 50, 1},
                                                         {kReference + 3 * kCent, 100, 1}}));
  EXPECT_EQ(provider_.openOrderCount(), 6u);
}

TEST_F(LiquidityProviderTest, RepeatedCustomerOrdersKeepFilling) {
  int64_t filled = 0;
  for (int i = 0; i < 50; ++i) {
    customer(order(i % 2 ? Side::kBuy : Side::kSell, OrderType::kMarket, 0, 100));
    for (const BookEvent& event : events_) {
      if (event.type == EventType::kFill) filled += event.quantity;
    }
  }
  EXPECT_EQ(filled, 50 * 100);
  EXPECT_EQ(provider_.openOrderCount(), 6u);
  EXPECT_EQ(engine_.bestBidOffer("ACME")->bid, (PriceLevel{kReference - kCent, 100, 1}));
  EXPECT_EQ(engine_.bestBidOffer("ACME")->ask, (PriceLevel{kReference + kCent, 100, 1}));
}

TEST_F(LiquidityProviderTest, NeverCrossesACustomerOrderAndRetriesLater) {
  // Takes the whole first ask level and rests 150 at that price.
  OrderId bid = customer(order(Side::kBuy, OrderType::kLimit, kReference + kCent, 250));
  // Replacing the ask at reference + 1c would trade with the customer: skipped.
  for (const BookEvent& event : events_) {
    if (event.type == EventType::kAccepted) {
      EXPECT_EQ(event.orderId, bid);
    }
  }
  EXPECT_EQ(provider_.openOrderCount(), 5u);
  BestBidOffer bbo = *engine_.bestBidOffer("ACME");
  EXPECT_EQ(bbo.bid, (PriceLevel{kReference + kCent, 150, 1}));
  EXPECT_EQ(bbo.ask, (PriceLevel{kReference + 2 * kCent, 100, 1}));

  // Once the customer's bid is gone, the next call puts the level back.
  events_.clear();
  ASSERT_TRUE(engine_.cancel(bid, events_));
  provider_.onEvents(events_);
  EXPECT_EQ(provider_.openOrderCount(), 6u);
  EXPECT_EQ(engine_.bestBidOffer("ACME")->ask, (PriceLevel{kReference + kCent, 100, 1}));
}

TEST_F(LiquidityProviderTest, OrdersAreGoodTillCancelAndSurviveEndOfDay) {
  events_.clear();
  engine_.expireDay(events_);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(provider_.openOrderCount(), 6u);
}

TEST_F(LiquidityProviderTest, CancelledProviderOrderIsReplaced) {
  // start() placed the best bid first.
  const OrderId bestBid = events_.at(0).orderId;
  ASSERT_TRUE(provider_.owns(bestBid));
  events_.clear();
  ASSERT_TRUE(engine_.cancel(bestBid, events_));
  provider_.onEvents(events_);
  EXPECT_FALSE(provider_.owns(bestBid));
  EXPECT_EQ(provider_.openOrderCount(), 6u);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].type, EventType::kAccepted);
  EXPECT_EQ(events_[1].priceMicros, kReference - kCent);
  EXPECT_EQ(engine_.bestBidOffer("ACME")->bid, (PriceLevel{kReference - kCent, 100, 1}));
}

TEST(LiquidityProviderConfigTest, FaultyConfigurationIsRefusedAndNothingPlaced) {
  auto with = [](auto edit) {
    SymbolLiquidity config = acme();
    edit(config);
    return config;
  };
  const std::vector<SymbolLiquidity> faulty = {
      with([](SymbolLiquidity& c) { c.tickMicros = 0; }),
      with([](SymbolLiquidity& c) { c.levels = 0; }),
      with([](SymbolLiquidity& c) { c.quantityPerLevel = 0; }),
      with([](SymbolLiquidity& c) { c.referencePriceMicros = 2 * kCent; }),  // bid at -1c
      with([](SymbolLiquidity& c) { c.symbol = "acme"; }),
  };
  for (const SymbolLiquidity& config : faulty) {
    MatchingEngine engine(MatchingEngineOptions{.createBooksOnDemand = true});
    LiquidityProvider provider(engine, {.symbols = {acme(), config}});
    std::vector<BookEvent> events;
    std::optional<std::string> fault = provider.start(events);
    ASSERT_TRUE(fault);
    EXPECT_NE(fault->find("liquidity for '" + config.symbol + "'"), std::string::npos) << *fault;
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(provider.openOrderCount(), 0u);
  }
}

TEST(LiquidityProviderConfigTest, UnlistedSymbolIsReported) {
  MatchingEngine engine;
  LiquidityProvider provider(engine, {.symbols = {acme()}});
  std::vector<BookEvent> events;
  std::optional<std::string> fault = provider.start(events);
  ASSERT_TRUE(fault);
  EXPECT_EQ(*fault, "liquidity for 'ACME': symbol is not traded on this exchange");
}

TEST(LiquidityProviderConfigTest, SameStreamGivesSameEvents) {
  auto run = [] {
    MatchingEngine engine(MatchingEngineOptions{.createBooksOnDemand = true});
    LiquidityProvider provider(engine,
                               {.symbols = {acme(), {"WIDG", 5 * kDollar, 5 * kCent, 4, 300}}});
    std::vector<BookEvent> all;
    EXPECT_EQ(provider.start(all), std::nullopt);
    for (int i = 0; i < 200; ++i) {
      const size_t from = all.size();
      const char* symbol = i % 3 ? "ACME" : "WIDG";
      const Side side = i % 5 < 2 ? Side::kBuy : Side::kSell;
      engine.submit(symbol, order(side, OrderType::kMarket, 0, 40 + i % 170), all);
      provider.onEvents(all, from);
    }
    return all;
  };
  std::vector<BookEvent> first = run();
  std::vector<BookEvent> second = run();
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].type, second[i].type);
    EXPECT_EQ(first[i].orderId, second[i].orderId);
    EXPECT_EQ(first[i].priceMicros, second[i].priceMicros);
    EXPECT_EQ(first[i].quantity, second[i].quantity);
  }
}

}  // namespace
}  // namespace triad::exchange
