// One symbol's limit order book with price-time priority.
//
// Contract:
// - An incoming order trades with the best opposite level while its limit
//   allows (a market order has no limit), oldest order first within a level,
//   at the resting order's price. What is left of a limit DAY or GTC order
//   rests; what is left of a market or IOC order is cancelled. Market orders
//   never rest, whatever their time in force.
// - Every call appends the events it causes to the caller's vector, in the
//   order they happened: for a new order, kAccepted (or kRejected) first, then
//   one kFill per resting order it traded with, then kCancelled for an
//   unfilled rest it may not keep. Nothing else is ever reported.
// - Order ids are idBase + 1, idBase + 2, ... in arrival order; a rejected
//   order gets none. The matching engine gives each book its own idBase so
//   that an id names its book.
// - Bad input is rejected with a Reason, never asserted: it comes from
//   customers.
// - After every call: the best bid is below the best ask, each level's
//   quantity is the sum of its orders' leaves, and every order's leaves plus
//   cumulative quantity equal its quantity.
//
// Resting orders live in a pool of slots reused through a free list, indexed
// by OrderIndex; an order that trades in full on arrival never takes a slot.
// Once the pool, the index and the caller's event vector have grown to the
// book's working size, no call allocates (except a new price level beyond the
// vector's capacity).
//
// Thread-safety: none. One thread owns a book (the engine's thread).

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exchange/book_event.h"
#include "exchange/order.h"
#include "exchange/order_index.h"
#include "exchange/price_levels.h"

namespace triad::exchange {

// One price level as market data sees it.
struct PriceLevel {
  int64_t priceMicros = 0;
  int64_t quantity = 0;
  uint32_t orderCount = 0;

  bool operator==(const PriceLevel&) const = default;
};

struct Trade {
  int64_t priceMicros = 0;
  int64_t quantity = 0;
  uint64_t matchId = 0;

  bool operator==(const Trade&) const = default;
};

// A resting order as the book holds it.
struct OpenOrder {
  OrderId id = kNoOrderId;
  uint64_t clientOrderId = 0;
  Side side = Side::kBuy;
  TimeInForce timeInForce = TimeInForce::kDay;
  int64_t priceMicros = 0;
  int64_t quantity = 0;
  int64_t leavesQuantity = 0;
  int64_t cumulativeQuantity = 0;
};

class OrderBook {
 public:
  explicit OrderBook(std::string symbol, OrderId idBase = 0);

  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  const std::string& symbol() const { return symbol_; }

  // Validates, matches and possibly rests an order. Returns its id, or
  // kNoOrderId when it was rejected.
  OrderId submit(const OrderRequest& request, std::vector<BookEvent>& events);

  // Cancels a resting order: kCancelled, or kCancelRejected with kUnknownOrder
  // (never issued by this book) or kOrderNotOpen (filled, cancelled, expired).
  // Returns whether the order was cancelled.
  bool cancel(OrderId id, std::vector<BookEvent>& events);

  // End of session: every resting DAY order is removed with kExpired, best
  // bid levels first, then asks, each level oldest first. GTC orders stay.
  void expireDay(std::vector<BookEvent>& events);

  std::optional<PriceLevel> bestBid() const { return best(bids_); }
  std::optional<PriceLevel> bestAsk() const { return best(asks_); }
  // Up to maxLevels levels of one side, best first.
  std::vector<PriceLevel> depth(Side side, size_t maxLevels) const;
  std::optional<Trade> lastTrade() const { return lastTrade_; }

  std::optional<OpenOrder> findOrder(OrderId id) const;
  size_t openOrderCount() const { return index_.size(); }
  // Whether this book issued the id (whatever became of the order since).
  bool issued(OrderId id) const { return id > idBase_ && id - idBase_ <= lastSequence_; }

 private:
  struct RestingOrder {
    OrderId id;
    uint64_t clientOrderId;
    int64_t priceMicros;
    int64_t quantity;
    int64_t leaves;
    uint32_t prev;  // towards the head (older), kNoSlot at the head
    uint32_t next;  // towards the tail (newer); the free list's link when free
    Side side;
    TimeInForce timeInForce;
  };

  static Reason validate(const OrderRequest& request);
  static std::optional<PriceLevel> best(const PriceLevels& levels);

  // Trades the incoming order against the opposite side; returns its leaves.
  int64_t match(OrderId id, const OrderRequest& request, std::vector<BookEvent>& events);
  void rest(OrderId id, const OrderRequest& request, int64_t leaves);
  // Takes an order out of its level's queue and the index, and frees its slot.
  // Does not remove the level when it empties.
  void unlink(PriceLevels::Level& level, uint32_t slot);
  uint32_t allocateSlot();

  PriceLevels& sideLevels(Side side) { return side == Side::kBuy ? bids_ : asks_; }

  const std::string symbol_;
  const OrderId idBase_;
  uint64_t lastSequence_ = 0;
  uint64_t lastMatchId_ = 0;
  size_t restingDayOrders_ = 0;  // lets expireDay skip a book with none
  std::optional<Trade> lastTrade_;
  PriceLevels bids_{Side::kBuy};
  PriceLevels asks_{Side::kSell};
  std::vector<RestingOrder> pool_;
  uint32_t freeSlot_ = kNoSlot;  // head of the free list through next
  OrderIndex index_;
};

}  // namespace triad::exchange
