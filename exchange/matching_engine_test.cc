#include "exchange/matching_engine.h"

#include <gtest/gtest.h>

#include <vector>

namespace triad::exchange {
namespace {

constexpr int64_t kDollar = 1'000'000;

OrderRequest limit(Side side, int64_t priceMicros, int64_t quantity,
                   TimeInForce timeInForce = TimeInForce::kDay) {
  return {.side = side,
          .type = OrderType::kLimit,
          .timeInForce = timeInForce,
          .priceMicros = priceMicros,
          .quantity = quantity,
          .clientOrderId = 0};
}

TEST(MatchingEngineTest, UnknownSymbolIsRejectedByDefault) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  std::vector<BookEvent> events;
  OrderRequest request = limit(Side::kBuy, 10 * kDollar, 100);
  request.clientOrderId = 31;
  EXPECT_EQ(engine.submit("WIDG", request, events), kNoOrderId);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kRejected);
  EXPECT_EQ(events[0].reason, Reason::kUnknownSymbol);
  EXPECT_EQ(events[0].clientOrderId, 31u);
  EXPECT_FALSE(engine.findBook("WIDG"));
  EXPECT_FALSE(engine.bestBidOffer("WIDG"));
  EXPECT_EQ(engine.symbols(), std::vector<std::string_view>{"ACME"});
}

TEST(MatchingEngineTest, CreatesBooksOnDemandWhenConfigured) {
  MatchingEngine engine(MatchingEngineOptions{.createBooksOnDemand = true});
  std::vector<BookEvent> events;
  OrderId id = engine.submit("WIDG", limit(Side::kBuy, 10 * kDollar, 100), events);
  ASSERT_NE(id, kNoOrderId);
  ASSERT_NE(engine.findBook("WIDG"), nullptr);
  EXPECT_EQ(engine.bookOf(id), engine.findBook("WIDG"));

  // On demand still refuses a malformed symbol, and lists nothing for it.
  events.clear();
  for (std::string_view bad : {"", "acme", "TOO-LONG-SYMBOL-NAME", "A B", "X\n"}) {
    EXPECT_EQ(engine.submit(bad, limit(Side::kBuy, kDollar, 1), events), kNoOrderId) << bad;
  }
  ASSERT_EQ(events.size(), 5u);
  for (const BookEvent& event : events) EXPECT_EQ(event.reason, Reason::kInvalidSymbol);
  EXPECT_EQ(engine.symbols().size(), 1u);
}

TEST(MatchingEngineTest, AddSymbolValidatesAndIsIdempotent) {
  MatchingEngine engine;
  EXPECT_EQ(engine.addSymbol("BRK.B"), Reason::kNone);
  EXPECT_EQ(engine.addSymbol("BRK.B"), Reason::kNone);
  EXPECT_EQ(engine.addSymbol("EUR/USD"), Reason::kNone);
  EXPECT_EQ(engine.addSymbol("brk.b"), Reason::kInvalidSymbol);
  EXPECT_EQ(engine.addSymbol(""), Reason::kInvalidSymbol);
  EXPECT_EQ(engine.symbols(), (std::vector<std::string_view>{"BRK.B", "EUR/USD"}));
}

TEST(MatchingEngineTest, SymbolsTradeOnlyWithinTheirOwnBook) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  ASSERT_EQ(engine.addSymbol("WIDG"), Reason::kNone);
  std::vector<BookEvent> events;
  engine.submit("ACME", limit(Side::kSell, 10 * kDollar, 100), events);
  events.clear();
  engine.submit("WIDG", limit(Side::kBuy, 10 * kDollar, 100), events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kAccepted);

  BestBidOffer acme = *engine.bestBidOffer("ACME");
  EXPECT_FALSE(acme.bid);
  EXPECT_EQ(acme.ask, (PriceLevel{10 * kDollar, 100, 1}));
  BestBidOffer widg = *engine.bestBidOffer("WIDG");
  EXPECT_EQ(widg.bid, (PriceLevel{10 * kDollar, 100, 1}));
  EXPECT_FALSE(widg.ask);
}

TEST(MatchingEngineTest, OrderIdsAreUniqueAndNameTheirBook) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  ASSERT_EQ(engine.addSymbol("WIDG"), Reason::kNone);
  std::vector<BookEvent> events;
  OrderId acme = engine.submit("ACME", limit(Side::kBuy, 10 * kDollar, 100), events);
  OrderId widg = engine.submit("WIDG", limit(Side::kBuy, 10 * kDollar, 100), events);
  EXPECT_NE(acme, widg);
  EXPECT_EQ(engine.bookOf(acme)->symbol(), "ACME");
  EXPECT_EQ(engine.bookOf(widg)->symbol(), "WIDG");
  EXPECT_EQ(engine.bookOf(OrderId{99} << MatchingEngine::kSequenceBits), nullptr);

  // A cancel needs only the id.
  events.clear();
  EXPECT_TRUE(engine.cancel(widg, events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kCancelled);
  EXPECT_EQ(events[0].orderId, widg);
  EXPECT_FALSE(engine.bestBidOffer("WIDG")->bid);
  EXPECT_TRUE(engine.bestBidOffer("ACME")->bid);
}

TEST(MatchingEngineTest, CancelTellsUnknownFromNoLongerOpen) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  std::vector<BookEvent> events;
  OrderId id = engine.submit("ACME", limit(Side::kBuy, 10 * kDollar, 100), events);
  ASSERT_TRUE(engine.cancel(id, events));
  events.clear();

  EXPECT_FALSE(engine.cancel(id, events));      // done
  EXPECT_FALSE(engine.cancel(id + 1, events));  // not yet issued
  EXPECT_FALSE(engine.cancel(OrderId{5} << MatchingEngine::kSequenceBits, events));  // no book
  EXPECT_FALSE(engine.cancel(kNoOrderId, events));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].reason, Reason::kOrderNotOpen);
  EXPECT_EQ(events[1].reason, Reason::kUnknownOrder);
  EXPECT_EQ(events[2].reason, Reason::kUnknownOrder);
  EXPECT_EQ(events[3].reason, Reason::kUnknownOrder);
  for (const BookEvent& event : events) EXPECT_EQ(event.type, EventType::kCancelRejected);
}

TEST(MatchingEngineTest, BestBidOfferAndLastTradeFollowTheBook) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  EXPECT_FALSE(engine.lastTrade("ACME"));
  EXPECT_FALSE(engine.lastTrade("NOPE"));
  std::vector<BookEvent> events;
  engine.submit("ACME", limit(Side::kBuy, 9 * kDollar, 100), events);
  engine.submit("ACME", limit(Side::kBuy, 9 * kDollar, 50), events);
  engine.submit("ACME", limit(Side::kSell, 11 * kDollar, 70), events);
  BestBidOffer bbo = *engine.bestBidOffer("ACME");
  EXPECT_EQ(bbo.bid, (PriceLevel{9 * kDollar, 150, 2}));
  EXPECT_EQ(bbo.ask, (PriceLevel{11 * kDollar, 70, 1}));

  engine.submit("ACME", limit(Side::kSell, 8 * kDollar, 120), events);
  EXPECT_EQ(engine.lastTrade("ACME"), (Trade{9 * kDollar, 20, 2}));
  bbo = *engine.bestBidOffer("ACME");
  EXPECT_EQ(bbo.bid, (PriceLevel{9 * kDollar, 30, 1}));
  EXPECT_LT(bbo.bid->priceMicros, bbo.ask->priceMicros);
}

TEST(MatchingEngineTest, ExpireDayCoversEveryBookAndKeepsGoodTillCancel) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  ASSERT_EQ(engine.addSymbol("WIDG"), Reason::kNone);
  std::vector<BookEvent> events;
  OrderId acmeDay = engine.submit("ACME", limit(Side::kBuy, 9 * kDollar, 100), events);
  OrderId widgDay = engine.submit("WIDG", limit(Side::kSell, 9 * kDollar, 100), events);
  OrderId widgGtc = engine.submit(
      "WIDG", limit(Side::kSell, 10 * kDollar, 100, TimeInForce::kGoodTillCancel), events);
  events.clear();

  engine.expireDay(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kExpired);
  EXPECT_EQ(events[0].orderId, acmeDay);
  EXPECT_EQ(events[1].orderId, widgDay);
  EXPECT_EQ(engine.bookOf(widgGtc)->openOrderCount(), 1u);
  EXPECT_EQ(engine.bestBidOffer("WIDG")->ask, (PriceLevel{10 * kDollar, 100, 1}));
  EXPECT_FALSE(engine.bestBidOffer("ACME")->bid);
}

TEST(MatchingEngineTest, BadOrderForListedSymbolIsRejectedByTheBook) {
  MatchingEngine engine;
  ASSERT_EQ(engine.addSymbol("ACME"), Reason::kNone);
  std::vector<BookEvent> events;
  EXPECT_EQ(engine.submit("ACME", limit(Side::kBuy, 0, 100), events), kNoOrderId);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, Reason::kPriceNotPositive);
}

}  // namespace
}  // namespace triad::exchange
