#include "exchange/order_book.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace triad::exchange {

OrderBook::OrderBook(std::string symbol, OrderId idBase)
    : symbol_(std::move(symbol)), idBase_(idBase) {}

Reason OrderBook::validate(const OrderRequest& request) {
  if (request.side != Side::kBuy && request.side != Side::kSell) return Reason::kUnknownSide;
  if (request.type != OrderType::kLimit && request.type != OrderType::kMarket) {
    return Reason::kUnknownOrderType;
  }
  if (request.timeInForce != TimeInForce::kDay &&
      request.timeInForce != TimeInForce::kGoodTillCancel &&
      request.timeInForce != TimeInForce::kImmediateOrCancel) {
    return Reason::kUnknownTimeInForce;
  }
  if (request.quantity <= 0) return Reason::kQuantityNotPositive;
  if (request.quantity > kMaxOrderQuantity) return Reason::kQuantityTooLarge;
  if (request.type == OrderType::kLimit) {
    if (request.priceMicros <= 0) return Reason::kPriceNotPositive;
    if (request.priceMicros > kMaxPriceMicros) return Reason::kPriceTooHigh;
  }
  return Reason::kNone;
}

OrderId OrderBook::submit(const OrderRequest& request, std::vector<BookEvent>& events) {
  if (Reason reason = validate(request); reason != Reason::kNone) {
    BookEvent& rejected = events.emplace_back();
    rejected.type = EventType::kRejected;
    rejected.reason = reason;
    rejected.side = request.side;
    rejected.clientOrderId = request.clientOrderId;
    rejected.priceMicros = request.priceMicros;
    rejected.quantity = request.quantity;
    return kNoOrderId;
  }

  const OrderId id = idBase_ + ++lastSequence_;
  const bool isMarket = request.type == OrderType::kMarket;
  const int64_t limitPriceMicros = isMarket ? 0 : request.priceMicros;
  // Filled in before match(), which appends events and may move the vector.
  BookEvent& accepted = events.emplace_back();
  accepted.type = EventType::kAccepted;
  accepted.side = request.side;
  accepted.orderId = id;
  accepted.clientOrderId = request.clientOrderId;
  accepted.priceMicros = limitPriceMicros;
  accepted.quantity = request.quantity;
  accepted.leavesQuantity = request.quantity;

  const int64_t leaves = match(id, request, events);
  if (leaves == 0) return id;

  if (isMarket || request.timeInForce == TimeInForce::kImmediateOrCancel) {
    BookEvent& cancelled = events.emplace_back();
    cancelled.type = EventType::kCancelled;
    cancelled.reason =
        isMarket ? Reason::kMarketOrderRemainder : Reason::kImmediateOrCancelRemainder;
    cancelled.side = request.side;
    cancelled.orderId = id;
    cancelled.clientOrderId = request.clientOrderId;
    cancelled.priceMicros = limitPriceMicros;
    cancelled.quantity = leaves;
    cancelled.cumulativeQuantity = request.quantity - leaves;
    return id;
  }
  rest(id, request, leaves);
  return id;
}

int64_t OrderBook::match(OrderId id, const OrderRequest& request, std::vector<BookEvent>& events) {
  PriceLevels& contra = sideLevels(opposite(request.side));
  const bool isMarket = request.type == OrderType::kMarket;
  int64_t leaves = request.quantity;
  while (leaves > 0 && !contra.empty()) {
    PriceLevels::Level& level = contra.best();
    if (!isMarket && !contra.crossedBy(request.priceMicros)) break;
    while (leaves > 0 && level.head != kNoSlot) {
      const uint32_t slot = level.head;
      RestingOrder& resting = pool_[slot];
      const int64_t quantity = std::min(leaves, resting.leaves);
      leaves -= quantity;
      resting.leaves -= quantity;
      level.quantity -= quantity;

      BookEvent& fill = events.emplace_back();
      fill.type = EventType::kFill;
      fill.side = request.side;
      fill.orderId = id;
      fill.clientOrderId = request.clientOrderId;
      fill.priceMicros = level.priceMicros;
      fill.quantity = quantity;
      fill.leavesQuantity = leaves;
      fill.cumulativeQuantity = request.quantity - leaves;
      fill.restingOrderId = resting.id;
      fill.restingClientOrderId = resting.clientOrderId;
      fill.restingLeavesQuantity = resting.leaves;
      fill.restingCumulativeQuantity = resting.quantity - resting.leaves;
      fill.matchId = ++lastMatchId_;
      lastTrade_ = Trade{level.priceMicros, quantity, lastMatchId_};

      if (resting.leaves == 0) unlink(level, slot);
    }
    if (level.head == kNoSlot) contra.removeBest();
  }
  return leaves;
}

void OrderBook::rest(OrderId id, const OrderRequest& request, int64_t leaves) {
  const uint32_t slot = allocateSlot();
  PriceLevels::Level& level = sideLevels(request.side).levelAt(request.priceMicros);
  pool_[slot] = RestingOrder{
      .id = id,
      .clientOrderId = request.clientOrderId,
      .priceMicros = request.priceMicros,
      .quantity = request.quantity,
      .leaves = leaves,
      .prev = level.tail,
      .next = kNoSlot,
      .side = request.side,
      .timeInForce = request.timeInForce,
  };
  if (level.tail == kNoSlot) {
    level.head = slot;
  } else {
    pool_[level.tail].next = slot;
  }
  level.tail = slot;
  level.quantity += leaves;
  ++level.orderCount;
  index_.insert(id, slot);
  if (request.timeInForce == TimeInForce::kDay) ++restingDayOrders_;
}

uint32_t OrderBook::allocateSlot() {
  if (freeSlot_ != kNoSlot) {
    const uint32_t slot = freeSlot_;
    freeSlot_ = pool_[slot].next;
    return slot;
  }
  assert(pool_.size() < kNoSlot);
  pool_.emplace_back();
  return static_cast<uint32_t>(pool_.size() - 1);
}

void OrderBook::unlink(PriceLevels::Level& level, uint32_t slot) {
  RestingOrder& order = pool_[slot];
  if (order.prev == kNoSlot) {
    level.head = order.next;
  } else {
    pool_[order.prev].next = order.next;
  }
  if (order.next == kNoSlot) {
    level.tail = order.prev;
  } else {
    pool_[order.next].prev = order.prev;
  }
  --level.orderCount;
  if (order.timeInForce == TimeInForce::kDay) --restingDayOrders_;
  index_.erase(order.id);
  order.id = kNoOrderId;
  order.next = freeSlot_;
  freeSlot_ = slot;
}

bool OrderBook::cancel(OrderId id, std::vector<BookEvent>& events) {
  const std::optional<uint32_t> slot = index_.find(id);
  if (!slot) {
    BookEvent& refused = events.emplace_back();
    refused.type = EventType::kCancelRejected;
    refused.reason = issued(id) ? Reason::kOrderNotOpen : Reason::kUnknownOrder;
    refused.orderId = id;
    return false;
  }
  const RestingOrder order = pool_[*slot];
  PriceLevels& levels = sideLevels(order.side);
  PriceLevels::Level* level = levels.find(order.priceMicros);
  assert(level != nullptr);
  level->quantity -= order.leaves;
  unlink(*level, *slot);
  if (level->head == kNoSlot) levels.remove(order.priceMicros);

  BookEvent& cancelled = events.emplace_back();
  cancelled.type = EventType::kCancelled;
  cancelled.reason = Reason::kCancelRequested;
  cancelled.side = order.side;
  cancelled.orderId = order.id;
  cancelled.clientOrderId = order.clientOrderId;
  cancelled.priceMicros = order.priceMicros;
  cancelled.quantity = order.leaves;
  cancelled.cumulativeQuantity = order.quantity - order.leaves;
  return true;
}

void OrderBook::expireDay(std::vector<BookEvent>& events) {
  if (restingDayOrders_ == 0) return;
  for (PriceLevels* levels : {&bids_, &asks_}) {
    std::vector<PriceLevels::Level>& all = levels->all();
    for (auto level = all.rbegin(); level != all.rend(); ++level) {
      for (uint32_t slot = level->head; slot != kNoSlot;) {
        const RestingOrder order = pool_[slot];
        const uint32_t next = order.next;
        if (order.timeInForce == TimeInForce::kDay) {
          level->quantity -= order.leaves;
          unlink(*level, slot);
          BookEvent& expired = events.emplace_back();
          expired.type = EventType::kExpired;
          expired.reason = Reason::kEndOfDay;
          expired.side = order.side;
          expired.orderId = order.id;
          expired.clientOrderId = order.clientOrderId;
          expired.priceMicros = order.priceMicros;
          expired.quantity = order.leaves;
          expired.cumulativeQuantity = order.quantity - order.leaves;
        }
        slot = next;
      }
    }
    levels->removeEmptyLevels();
  }
  assert(restingDayOrders_ == 0);
}

std::optional<PriceLevel> OrderBook::best(const PriceLevels& levels) {
  if (levels.empty()) return std::nullopt;
  const PriceLevels::Level& level = levels.best();
  return PriceLevel{level.priceMicros, level.quantity, level.orderCount};
}

std::vector<PriceLevel> OrderBook::depth(Side side, size_t maxLevels) const {
  const PriceLevels& levels = side == Side::kBuy ? bids_ : asks_;
  std::vector<PriceLevel> out;
  out.reserve(std::min(maxLevels, levels.size()));
  for (size_t i = 0; i < levels.size() && i < maxLevels; ++i) {
    const PriceLevels::Level& level = levels.fromBest(i);
    out.push_back({level.priceMicros, level.quantity, level.orderCount});
  }
  return out;
}

std::optional<OpenOrder> OrderBook::findOrder(OrderId id) const {
  const std::optional<uint32_t> slot = index_.find(id);
  if (!slot) return std::nullopt;
  const RestingOrder& order = pool_[*slot];
  return OpenOrder{
      .id = order.id,
      .clientOrderId = order.clientOrderId,
      .side = order.side,
      .timeInForce = order.timeInForce,
      .priceMicros = order.priceMicros,
      .quantity = order.quantity,
      .leavesQuantity = order.leaves,
      .cumulativeQuantity = order.quantity - order.leaves,
  };
}

}  // namespace triad::exchange
