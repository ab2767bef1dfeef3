#include "exchange/order_book.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace triad::exchange {
namespace {

constexpr int64_t kDollar = 1'000'000;  // micros

OrderRequest limit(Side side, int64_t priceMicros, int64_t quantity,
                   TimeInForce timeInForce = TimeInForce::kDay, uint64_t clientOrderId = 0) {
  return {.side = side,
          .type = OrderType::kLimit,
          .timeInForce = timeInForce,
          .priceMicros = priceMicros,
          .quantity = quantity,
          .clientOrderId = clientOrderId};
}

OrderRequest market(Side side, int64_t quantity, uint64_t clientOrderId = 0) {
  return {.side = side,
          .type = OrderType::kMarket,
          .timeInForce = TimeInForce::kDay,
          .priceMicros = 0,
          .quantity = quantity,
          .clientOrderId = clientOrderId};
}

std::vector<BookEvent> ofType(const std::vector<BookEvent>& events, EventType type) {
  std::vector<BookEvent> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [type](const BookEvent& e) { return e.type == type; });
  return out;
}

// Checks what must hold after every call: an uncrossed book, levels whose
// quantity and count match their orders, and no empty level.
void expectBookInvariants(const OrderBook& book) {
  auto bid = book.bestBid();
  auto ask = book.bestAsk();
  if (bid && ask) {
    EXPECT_LT(bid->priceMicros, ask->priceMicros);
  }
  size_t orders = 0;
  for (Side side : {Side::kBuy, Side::kSell}) {
    std::vector<PriceLevel> levels = book.depth(side, SIZE_MAX);
    for (size_t i = 0; i < levels.size(); ++i) {
      EXPECT_GT(levels[i].quantity, 0);
      EXPECT_GT(levels[i].orderCount, 0u);
      orders += levels[i].orderCount;
      if (i > 0) {
        // Best first: bids descend, asks ascend.
        if (side == Side::kBuy) {
          EXPECT_GT(levels[i - 1].priceMicros, levels[i].priceMicros);
        } else {
          EXPECT_LT(levels[i - 1].priceMicros, levels[i].priceMicros);
        }
      }
    }
  }
  EXPECT_EQ(orders, book.openOrderCount());
}

TEST(OrderBookTest, LimitOrderRestsInEmptyBook) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId id = book.submit(limit(Side::kBuy, 10 * kDollar, 100, TimeInForce::kDay, 77), events);

  ASSERT_NE(id, kNoOrderId);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kAccepted);
  EXPECT_EQ(events[0].orderId, id);
  EXPECT_EQ(events[0].clientOrderId, 77u);
  EXPECT_EQ(events[0].priceMicros, 10 * kDollar);
  EXPECT_EQ(events[0].quantity, 100);
  EXPECT_EQ(events[0].leavesQuantity, 100);
  EXPECT_EQ(book.bestBid(), (PriceLevel{10 * kDollar, 100, 1}));
  EXPECT_FALSE(book.bestAsk());
  std::optional<OpenOrder> open = book.findOrder(id);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->leavesQuantity, 100);
  EXPECT_EQ(open->cumulativeQuantity, 0);
}

TEST(OrderBookTest, IdsStartAfterIdBaseAndAreIssuedInArrivalOrder) {
  OrderBook book("ACME", 5000);
  std::vector<BookEvent> events;
  EXPECT_EQ(book.submit(limit(Side::kBuy, kDollar, 1), events), 5001u);
  EXPECT_EQ(book.submit(limit(Side::kBuy, kDollar, 0), events), kNoOrderId);  // rejected
  EXPECT_EQ(book.submit(limit(Side::kSell, 2 * kDollar, 1), events), 5002u);
  EXPECT_TRUE(book.issued(5002));
  EXPECT_FALSE(book.issued(5003));
  EXPECT_FALSE(book.issued(5000));
}

TEST(OrderBookTest, TwoOrdersAtOnePriceFillInArrivalOrder) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId first = book.submit(limit(Side::kSell, 10 * kDollar, 100, TimeInForce::kDay, 1), events);
  OrderId second = book.submit(limit(Side::kSell, 10 * kDollar, 100, TimeInForce::kDay, 2), events);
  events.clear();

  OrderId buy = book.submit(limit(Side::kBuy, 10 * kDollar, 150, TimeInForce::kDay, 3), events);
  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].restingOrderId, first);
  EXPECT_EQ(fills[0].restingClientOrderId, 1u);
  EXPECT_EQ(fills[0].quantity, 100);
  EXPECT_EQ(fills[0].restingLeavesQuantity, 0);
  EXPECT_EQ(fills[1].restingOrderId, second);
  EXPECT_EQ(fills[1].quantity, 50);
  EXPECT_EQ(fills[1].restingLeavesQuantity, 50);
  EXPECT_EQ(fills[1].restingCumulativeQuantity, 50);
  EXPECT_EQ(fills[1].orderId, buy);
  EXPECT_EQ(fills[1].leavesQuantity, 0);
  EXPECT_EQ(fills[1].cumulativeQuantity, 150);
  EXPECT_FALSE(book.findOrder(first));
  EXPECT_EQ(book.findOrder(second)->leavesQuantity, 50);
  EXPECT_EQ(book.bestAsk(), (PriceLevel{10 * kDollar, 50, 1}));
  EXPECT_FALSE(book.findOrder(buy));  // filled in full, never rested
  expectBookInvariants(book);
}

TEST(OrderBookTest, BetterPriceFillsBeforeEarlierOrderAtWorsePrice) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId worse = book.submit(limit(Side::kBuy, 9 * kDollar, 100), events);
  OrderId better = book.submit(limit(Side::kBuy, 9 * kDollar + 10'000, 100), events);
  events.clear();

  book.submit(limit(Side::kSell, 9 * kDollar, 100), events);
  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].restingOrderId, better);
  EXPECT_EQ(fills[0].priceMicros, 9 * kDollar + 10'000);
  EXPECT_TRUE(book.findOrder(worse));
}

TEST(OrderBookTest, FillsAtTheRestingOrdersPrice) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kSell, 10 * kDollar, 100), events);
  events.clear();
  // A buyer willing to pay 12 pays the resting 10.
  book.submit(limit(Side::kBuy, 12 * kDollar, 100), events);
  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].priceMicros, 10 * kDollar);
  EXPECT_EQ(fills[0].side, Side::kBuy);

  book.submit(limit(Side::kBuy, 8 * kDollar, 100), events);
  events.clear();
  // A seller asking 5 gets the resting 8.
  book.submit(limit(Side::kSell, 5 * kDollar, 100), events);
  fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].priceMicros, 8 * kDollar);
  EXPECT_EQ(fills[0].side, Side::kSell);
  EXPECT_EQ(book.lastTrade(), (Trade{8 * kDollar, 100, 2}));
}

TEST(OrderBookTest, PartialFillRestsTheRemainderWithLeavesAndCumulative) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId sell = book.submit(limit(Side::kSell, 10 * kDollar, 30), events);
  events.clear();
  OrderId buy = book.submit(limit(Side::kBuy, 10 * kDollar, 100), events);

  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kAccepted);
  EXPECT_EQ(events[1].type, EventType::kFill);
  EXPECT_EQ(events[1].quantity, 30);
  EXPECT_EQ(events[1].leavesQuantity, 70);
  EXPECT_EQ(events[1].cumulativeQuantity, 30);
  EXPECT_EQ(events[1].restingOrderId, sell);
  EXPECT_EQ(events[1].restingLeavesQuantity, 0);
  EXPECT_EQ(events[1].restingCumulativeQuantity, 30);
  EXPECT_FALSE(book.bestAsk());
  EXPECT_EQ(book.bestBid(), (PriceLevel{10 * kDollar, 70, 1}));
  std::optional<OpenOrder> open = book.findOrder(buy);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->quantity, 100);
  EXPECT_EQ(open->leavesQuantity, 70);
  EXPECT_EQ(open->cumulativeQuantity, 30);
  expectBookInvariants(book);
}

TEST(OrderBookTest, IncomingOrderSweepsLevelsUpToItsLimit) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  for (int64_t cents : {1000, 1001, 1002, 1003}) {
    book.submit(limit(Side::kSell, cents * 10'000, 10), events);
  }
  events.clear();
  book.submit(limit(Side::kBuy, 1002 * 10'000, 100), events);

  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 3u);
  EXPECT_EQ(fills[0].priceMicros, 1000 * 10'000);
  EXPECT_EQ(fills[1].priceMicros, 1001 * 10'000);
  EXPECT_EQ(fills[2].priceMicros, 1002 * 10'000);
  EXPECT_EQ(fills[2].leavesQuantity, 70);
  EXPECT_EQ(fills[0].matchId + 1, fills[1].matchId);
  EXPECT_EQ(book.bestBid(), (PriceLevel{1002 * 10'000, 70, 1}));
  EXPECT_EQ(book.bestAsk(), (PriceLevel{1003 * 10'000, 10, 1}));
  expectBookInvariants(book);
}

TEST(OrderBookTest, MarketOrderAgainstEmptyBookIsCancelled) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId id = book.submit(market(Side::kBuy, 100, 9), events);

  ASSERT_NE(id, kNoOrderId);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kAccepted);
  EXPECT_EQ(events[0].priceMicros, 0);
  EXPECT_EQ(events[1].type, EventType::kCancelled);
  EXPECT_EQ(events[1].reason, Reason::kMarketOrderRemainder);
  EXPECT_EQ(events[1].orderId, id);
  EXPECT_EQ(events[1].clientOrderId, 9u);
  EXPECT_EQ(events[1].quantity, 100);
  EXPECT_EQ(events[1].leavesQuantity, 0);
  EXPECT_EQ(events[1].cumulativeQuantity, 0);
  EXPECT_EQ(book.openOrderCount(), 0u);
  EXPECT_FALSE(book.bestBid());
}

TEST(OrderBookTest, MarketOrderTakesEveryPriceAndNeverRests) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kBuy, 10 * kDollar, 50), events);
  book.submit(limit(Side::kBuy, 1 * kDollar, 50), events);
  events.clear();
  // GTC on a market order does not make it rest.
  OrderRequest request = market(Side::kSell, 130);
  request.timeInForce = TimeInForce::kGoodTillCancel;
  book.submit(request, events);

  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].priceMicros, 10 * kDollar);
  EXPECT_EQ(fills[1].priceMicros, 1 * kDollar);
  ASSERT_EQ(events.back().type, EventType::kCancelled);
  EXPECT_EQ(events.back().quantity, 30);
  EXPECT_EQ(events.back().cumulativeQuantity, 100);
  EXPECT_EQ(book.openOrderCount(), 0u);
  EXPECT_FALSE(book.bestAsk());
}

TEST(OrderBookTest, ImmediateOrCancelRemainderIsCancelled) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kSell, 10 * kDollar, 40), events);
  book.submit(limit(Side::kSell, 11 * kDollar, 40), events);
  events.clear();
  OrderId id =
      book.submit(limit(Side::kBuy, 10 * kDollar, 100, TimeInForce::kImmediateOrCancel), events);

  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].type, EventType::kFill);
  EXPECT_EQ(events[1].quantity, 40);
  EXPECT_EQ(events[2].type, EventType::kCancelled);
  EXPECT_EQ(events[2].reason, Reason::kImmediateOrCancelRemainder);
  EXPECT_EQ(events[2].orderId, id);
  EXPECT_EQ(events[2].quantity, 60);
  EXPECT_EQ(events[2].cumulativeQuantity, 40);
  EXPECT_FALSE(book.findOrder(id));
  EXPECT_FALSE(book.bestBid());
  EXPECT_EQ(book.bestAsk(), (PriceLevel{11 * kDollar, 40, 1}));
}

TEST(OrderBookTest, ImmediateOrCancelFilledInFullHasNoCancel) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kSell, 10 * kDollar, 100), events);
  events.clear();
  book.submit(limit(Side::kBuy, 10 * kDollar, 100, TimeInForce::kImmediateOrCancel), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, EventType::kFill);
  EXPECT_TRUE(ofType(events, EventType::kCancelled).empty());
}

TEST(OrderBookTest, ImmediateOrCancelThatCannotTradeIsCancelledInFull) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kSell, 10 * kDollar, 100), events);
  events.clear();
  book.submit(limit(Side::kBuy, 9 * kDollar, 100, TimeInForce::kImmediateOrCancel), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, EventType::kCancelled);
  EXPECT_EQ(events[1].quantity, 100);
  EXPECT_FALSE(book.bestBid());
}

TEST(OrderBookTest, ExpireDayRemovesDayOrdersAndKeepsGoodTillCancel) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId dayBid = book.submit(limit(Side::kBuy, 9 * kDollar, 100), events);
  OrderId gtcBid =
      book.submit(limit(Side::kBuy, 9 * kDollar, 200, TimeInForce::kGoodTillCancel), events);
  OrderId dayAsk = book.submit(limit(Side::kSell, 11 * kDollar, 300, TimeInForce::kDay, 5), events);
  OrderId gtcAsk =
      book.submit(limit(Side::kSell, 12 * kDollar, 400, TimeInForce::kGoodTillCancel), events);
  // A partly filled DAY order expires with its cumulative quantity reported.
  book.submit(limit(Side::kBuy, 11 * kDollar, 120, TimeInForce::kImmediateOrCancel), events);
  events.clear();

  book.expireDay(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kExpired);
  EXPECT_EQ(events[0].reason, Reason::kEndOfDay);
  EXPECT_EQ(events[0].orderId, dayBid);
  EXPECT_EQ(events[0].quantity, 100);
  EXPECT_EQ(events[1].orderId, dayAsk);
  EXPECT_EQ(events[1].clientOrderId, 5u);
  EXPECT_EQ(events[1].quantity, 180);
  EXPECT_EQ(events[1].cumulativeQuantity, 120);
  EXPECT_EQ(events[1].leavesQuantity, 0);

  EXPECT_FALSE(book.findOrder(dayBid));
  EXPECT_FALSE(book.findOrder(dayAsk));
  EXPECT_TRUE(book.findOrder(gtcBid));
  EXPECT_TRUE(book.findOrder(gtcAsk));
  EXPECT_EQ(book.bestBid(), (PriceLevel{9 * kDollar, 200, 1}));
  EXPECT_EQ(book.bestAsk(), (PriceLevel{12 * kDollar, 400, 1}));
  expectBookInvariants(book);

  events.clear();
  book.expireDay(events);  // nothing left to expire
  EXPECT_TRUE(events.empty());
}

TEST(OrderBookTest, CancelRemovesRestingOrder) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId first = book.submit(limit(Side::kBuy, 10 * kDollar, 100, TimeInForce::kDay, 1), events);
  OrderId middle = book.submit(limit(Side::kBuy, 10 * kDollar, 60, TimeInForce::kDay, 2), events);
  OrderId last = book.submit(limit(Side::kBuy, 10 * kDollar, 30, TimeInForce::kDay, 3), events);
  events.clear();

  EXPECT_TRUE(book.cancel(middle, events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kCancelled);
  EXPECT_EQ(events[0].reason, Reason::kCancelRequested);
  EXPECT_EQ(events[0].orderId, middle);
  EXPECT_EQ(events[0].clientOrderId, 2u);
  EXPECT_EQ(events[0].quantity, 60);
  EXPECT_EQ(book.bestBid(), (PriceLevel{10 * kDollar, 130, 2}));

  // The queue still runs first, last.
  events.clear();
  book.submit(limit(Side::kSell, 10 * kDollar, 130), events);
  std::vector<BookEvent> fills = ofType(events, EventType::kFill);
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].restingOrderId, first);
  EXPECT_EQ(fills[1].restingOrderId, last);
  EXPECT_FALSE(book.bestBid());
  EXPECT_EQ(book.openOrderCount(), 0u);
}

TEST(OrderBookTest, CancelOfUnknownOrderIsRefused) {
  OrderBook book("ACME", 1000);
  std::vector<BookEvent> events;
  book.submit(limit(Side::kBuy, 10 * kDollar, 100), events);
  events.clear();
  for (OrderId id : {OrderId{0}, OrderId{7}, OrderId{1000}, OrderId{1002}}) {
    EXPECT_FALSE(book.cancel(id, events));
  }
  ASSERT_EQ(events.size(), 4u);
  for (const BookEvent& event : events) {
    EXPECT_EQ(event.type, EventType::kCancelRejected);
    EXPECT_EQ(event.reason, Reason::kUnknownOrder);
  }
  EXPECT_EQ(book.openOrderCount(), 1u);
}

TEST(OrderBookTest, CancelOfFilledOrCancelledOrderIsRefused) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  OrderId filled = book.submit(limit(Side::kSell, 10 * kDollar, 100), events);
  OrderId taker = book.submit(limit(Side::kBuy, 10 * kDollar, 100), events);
  OrderId cancelled = book.submit(limit(Side::kBuy, 9 * kDollar, 100), events);
  ASSERT_TRUE(book.cancel(cancelled, events));
  events.clear();

  for (OrderId id : {filled, taker, cancelled}) {
    EXPECT_FALSE(book.cancel(id, events));
  }
  ASSERT_EQ(events.size(), 3u);
  for (const BookEvent& event : events) {
    EXPECT_EQ(event.type, EventType::kCancelRejected);
    EXPECT_EQ(event.reason, Reason::kOrderNotOpen);
  }
  EXPECT_EQ(events[0].orderId, filled);
}

TEST(OrderBookTest, BadInputIsRejectedWithAReason) {
  struct Case {
    OrderRequest request;
    Reason reason;
  };
  OrderRequest unknownSide = limit(Side::kBuy, kDollar, 10);
  unknownSide.side = static_cast<Side>('7');
  OrderRequest unknownType = limit(Side::kBuy, kDollar, 10);
  unknownType.type = static_cast<OrderType>('P');
  OrderRequest unknownTif = limit(Side::kBuy, kDollar, 10);
  unknownTif.timeInForce = static_cast<TimeInForce>('6');
  OrderRequest marketNoQuantity = market(Side::kSell, 0);
  const std::vector<Case> cases = {
      {limit(Side::kBuy, kDollar, 0), Reason::kQuantityNotPositive},
      {limit(Side::kBuy, kDollar, -5), Reason::kQuantityNotPositive},
      {marketNoQuantity, Reason::kQuantityNotPositive},
      {limit(Side::kBuy, kDollar, kMaxOrderQuantity + 1), Reason::kQuantityTooLarge},
      {limit(Side::kBuy, 0, 10), Reason::kPriceNotPositive},
      {limit(Side::kSell, -kDollar, 10), Reason::kPriceNotPositive},
      {limit(Side::kSell, kMaxPriceMicros + 1, 10), Reason::kPriceTooHigh},
      {unknownSide, Reason::kUnknownSide},
      {unknownType, Reason::kUnknownOrderType},
      {unknownTif, Reason::kUnknownTimeInForce},
  };
  OrderBook book("ACME");
  for (const Case& c : cases) {
    std::vector<BookEvent> events;
    OrderRequest request = c.request;
    request.clientOrderId = 42;
    EXPECT_EQ(book.submit(request, events), kNoOrderId);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, EventType::kRejected);
    EXPECT_EQ(events[0].reason, c.reason) << describe(c.reason);
    EXPECT_EQ(events[0].orderId, kNoOrderId);
    EXPECT_EQ(events[0].clientOrderId, 42u);
    EXPECT_FALSE(describe(events[0].reason).empty());
  }
  EXPECT_EQ(book.openOrderCount(), 0u);
  EXPECT_FALSE(book.issued(1));  // rejected orders consume no id
}

TEST(OrderBookTest, MarketOrderNeedsNoPrice) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  book.submit(limit(Side::kSell, 10 * kDollar, 10), events);
  OrderRequest request = market(Side::kBuy, 10);
  request.priceMicros = -3;  // ignored for a market order
  EXPECT_NE(book.submit(request, events), kNoOrderId);
  EXPECT_EQ(ofType(events, EventType::kFill).size(), 1u);
}

TEST(OrderBookTest, SlotsAreReusedAfterOrdersLeave) {
  OrderBook book("ACME");
  std::vector<BookEvent> events;
  for (int round = 0; round < 100; ++round) {
    std::vector<OrderId> ids;
    for (int i = 0; i < 50; ++i) {
      ids.push_back(book.submit(limit(Side::kBuy, (100 + i % 7) * kDollar, 10), events));
    }
    for (OrderId id : ids) ASSERT_TRUE(book.cancel(id, events));
    ASSERT_EQ(book.openOrderCount(), 0u);
    ASSERT_FALSE(book.bestBid());
    events.clear();
  }
}

// A deliberately naive book: a list of resting orders scanned in full for the
// best price and then the earliest arrival. The real book must produce the
// same events for the same stream.
class ReferenceBook {
 public:
  void submit(OrderId id, const OrderRequest& r, std::vector<BookEvent>& events) {
    const bool isMarket = r.type == OrderType::kMarket;
    events.push_back({.type = EventType::kAccepted,
                      .side = r.side,
                      .orderId = id,
                      .clientOrderId = r.clientOrderId,
                      .priceMicros = isMarket ? 0 : r.priceMicros,
                      .quantity = r.quantity,
                      .leavesQuantity = r.quantity});
    int64_t leaves = r.quantity;
    while (leaves > 0) {
      auto best = orders_.end();
      for (auto it = orders_.begin(); it != orders_.end(); ++it) {
        if (it->side == r.side) continue;
        if (!isMarket && (r.side == Side::kBuy ? it->priceMicros > r.priceMicros
                                               : it->priceMicros < r.priceMicros)) {
          continue;
        }
        if (best == orders_.end() || (r.side == Side::kBuy ? it->priceMicros < best->priceMicros
                                                           : it->priceMicros > best->priceMicros)) {
          best = it;  // earlier arrivals come first in orders_, so ties keep the first
        }
      }
      if (best == orders_.end()) break;
      const int64_t quantity = std::min(leaves, best->leaves);
      leaves -= quantity;
      best->leaves -= quantity;
      events.push_back({.type = EventType::kFill,
                        .side = r.side,
                        .orderId = id,
                        .clientOrderId = r.clientOrderId,
                        .priceMicros = best->priceMicros,
                        .quantity = quantity,
                        .leavesQuantity = leaves,
                        .cumulativeQuantity = r.quantity - leaves,
                        .restingOrderId = best->id,
                        .restingClientOrderId = best->clientOrderId,
                        .restingLeavesQuantity = best->leaves,
                        .restingCumulativeQuantity = best->quantity - best->leaves,
                        .matchId = ++matchId_});
      if (best->leaves == 0) orders_.erase(best);
    }
    if (leaves == 0) return;
    if (isMarket || r.timeInForce == TimeInForce::kImmediateOrCancel) {
      events.push_back(
          {.type = EventType::kCancelled,
           .reason = isMarket ? Reason::kMarketOrderRemainder : Reason::kImmediateOrCancelRemainder,
           .side = r.side,
           .orderId = id,
           .clientOrderId = r.clientOrderId,
           .priceMicros = isMarket ? 0 : r.priceMicros,
           .quantity = leaves,
           .cumulativeQuantity = r.quantity - leaves});
      return;
    }
    orders_.push_back({id, r.clientOrderId, r.side, r.timeInForce, r.priceMicros, r.quantity,
                       leaves, r.quantity - leaves});
  }

  int64_t restingQuantity(Side side) const {
    int64_t total = 0;
    for (const OpenOrder& o : orders_) {
      if (o.side == side) total += o.leaves;
    }
    return total;
  }

  void remove(OrderId id) {
    std::erase_if(orders_, [id](const OpenOrder& o) { return o.id == id; });
  }

  void expireDay() {
    std::erase_if(orders_, [](const OpenOrder& o) { return o.timeInForce == TimeInForce::kDay; });
  }

  bool isOpen(OrderId id) const {
    return std::any_of(orders_.begin(), orders_.end(),
                       [id](const OpenOrder& o) { return o.id == id; });
  }

 private:
  struct OpenOrder {
    OrderId id;
    uint64_t clientOrderId;
    Side side;
    TimeInForce timeInForce;
    int64_t priceMicros;
    int64_t quantity;
    int64_t leaves;
    int64_t filled;
  };
  std::vector<OpenOrder> orders_;  // in arrival order
  uint64_t matchId_ = 0;
};

void expectSameEvent(const BookEvent& a, const BookEvent& b, size_t step) {
  EXPECT_EQ(a.type, b.type) << "step " << step;
  EXPECT_EQ(a.reason, b.reason) << "step " << step;
  EXPECT_EQ(a.side, b.side) << "step " << step;
  EXPECT_EQ(a.orderId, b.orderId) << "step " << step;
  EXPECT_EQ(a.clientOrderId, b.clientOrderId) << "step " << step;
  EXPECT_EQ(a.priceMicros, b.priceMicros) << "step " << step;
  EXPECT_EQ(a.quantity, b.quantity) << "step " << step;
  EXPECT_EQ(a.leavesQuantity, b.leavesQuantity) << "step " << step;
  EXPECT_EQ(a.cumulativeQuantity, b.cumulativeQuantity) << "step " << step;
  EXPECT_EQ(a.restingOrderId, b.restingOrderId) << "step " << step;
  EXPECT_EQ(a.restingClientOrderId, b.restingClientOrderId) << "step " << step;
  EXPECT_EQ(a.restingLeavesQuantity, b.restingLeavesQuantity) << "step " << step;
  EXPECT_EQ(a.restingCumulativeQuantity, b.restingCumulativeQuantity) << "step " << step;
  EXPECT_EQ(a.matchId, b.matchId) << "step " << step;
}

TEST(OrderBookTest, RandomStreamMatchesNaiveReferenceAndConservesQuantity) {
  std::mt19937_64 random(20240611);
  OrderBook book("ACME");
  ReferenceBook reference;
  std::vector<OrderId> issued;
  // Per order: accepted quantity minus filled, cancelled and expired
  // quantities, which must equal its leaves in the book.
  std::map<OrderId, int64_t> unaccounted;
  int64_t filledBuy = 0;
  int64_t filledSell = 0;
  std::vector<BookEvent> events;
  std::vector<BookEvent> expected;

  for (size_t step = 0; step < 20'000; ++step) {
    events.clear();
    expected.clear();
    const uint64_t dice = random() % 100;
    if (dice < 20 && !issued.empty()) {
      OrderId id = issued[random() % issued.size()];
      const bool wasOpen = reference.isOpen(id);
      EXPECT_EQ(book.cancel(id, events), wasOpen) << "step " << step;
      reference.remove(id);
    } else if (dice < 21) {
      book.expireDay(events);
      reference.expireDay();
    } else {
      OrderRequest request;
      request.side = random() % 2 ? Side::kBuy : Side::kSell;
      request.type = random() % 10 == 0 ? OrderType::kMarket : OrderType::kLimit;
      const uint64_t tif = random() % 3;
      request.timeInForce = tif == 0   ? TimeInForce::kDay
                            : tif == 1 ? TimeInForce::kGoodTillCancel
                                       : TimeInForce::kImmediateOrCancel;
      // 60 ticks of 10 cents: enough levels that lookups leave the linear scan.
      request.priceMicros = (950 + static_cast<int64_t>(random() % 60)) * 100'000;
      request.quantity = 1 + static_cast<int64_t>(random() % 300);
      request.clientOrderId = step;
      OrderId id = book.submit(request, events);
      ASSERT_NE(id, kNoOrderId);
      issued.push_back(id);
      reference.submit(id, request, expected);
      ASSERT_EQ(events.size(), expected.size()) << "step " << step;
      for (size_t i = 0; i < events.size(); ++i) expectSameEvent(events[i], expected[i], step);
    }
    for (const BookEvent& e : events) {
      switch (e.type) {
        case EventType::kAccepted:
          unaccounted[e.orderId] += e.quantity;
          break;
        case EventType::kFill:
          unaccounted[e.orderId] -= e.quantity;
          unaccounted[e.restingOrderId] -= e.quantity;
          (e.side == Side::kBuy ? filledBuy : filledSell) += e.quantity;
          break;
        case EventType::kCancelled:
        case EventType::kExpired:
          unaccounted[e.orderId] -= e.quantity;
          break;
        case EventType::kRejected:
        case EventType::kCancelRejected:
          break;
      }
    }
    expectBookInvariants(book);
    if (HasFailure()) return;
  }

  // Every share accepted is filled, cancelled, expired or still resting.
  int64_t restingBuy = 0;
  int64_t restingSell = 0;
  for (const auto& [id, quantity] : unaccounted) {
    std::optional<OpenOrder> open = book.findOrder(id);
    ASSERT_EQ(open ? open->leavesQuantity : 0, quantity) << "order " << id;
    if (open) (open->side == Side::kBuy ? restingBuy : restingSell) += quantity;
  }
  int64_t levelBuy = 0;
  int64_t levelSell = 0;
  for (const PriceLevel& level : book.depth(Side::kBuy, SIZE_MAX)) levelBuy += level.quantity;
  for (const PriceLevel& level : book.depth(Side::kSell, SIZE_MAX)) levelSell += level.quantity;
  EXPECT_EQ(levelBuy, restingBuy);
  EXPECT_EQ(levelSell, restingSell);
  EXPECT_EQ(levelBuy, reference.restingQuantity(Side::kBuy));
  EXPECT_EQ(levelSell, reference.restingQuantity(Side::kSell));
  EXPECT_GT(filledBuy, 0);
  EXPECT_GT(filledSell, 0);
}

}  // namespace
}  // namespace triad::exchange
