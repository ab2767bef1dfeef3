// What the book tells the world: one event per thing that happened, in the
// order it happened. The FIX acceptor turns each into an execution report (or
// an order cancel reject), market data reads fills, and the liquidity provider
// watches its own orders' fills.
//
// Events are plain values with no heap storage, appended to a vector the
// caller owns and reuses, so that producing them allocates nothing once the
// vector has grown.

#pragma once

#include <cstdint>
#include <string_view>

#include "exchange/order.h"

namespace triad::exchange {

enum class EventType : uint8_t {
  kAccepted,        // a valid new order; always the first event about it
  kFill,            // a trade between the incoming order and one resting order
  kCancelled,       // the rest of an order is cancelled (request, IOC, market)
  kExpired,         // a DAY order's rest is removed at the end of the session
  kRejected,        // a new order refused; nothing about it is kept
  kCancelRejected,  // a cancel request refused; the order, if any, is unchanged
};

// Why an order was rejected, cancelled or a cancel refused. Each has a text a
// person can act on (describe()).
enum class Reason : uint8_t {
  kNone,
  // Rejected new orders.
  kQuantityNotPositive,
  kQuantityTooLarge,
  kPriceNotPositive,
  kPriceTooHigh,
  kUnknownSide,
  kUnknownOrderType,
  kUnknownTimeInForce,
  kUnknownSymbol,
  kInvalidSymbol,
  kTooManySymbols,
  // Cancelled remainders.
  kCancelRequested,
  kImmediateOrCancelRemainder,
  kMarketOrderRemainder,  // a market order never rests: what found no liquidity
  // Refused cancels.
  kUnknownOrder,  // the exchange never issued this id (FIX CxlRejReason 1)
  kOrderNotOpen,  // issued, but already filled, cancelled or expired (0)
  // Expiry.
  kEndOfDay,
};

std::string_view toString(EventType type);
std::string_view describe(Reason reason);

// One flat struct for every event type: the fields an event type does not use
// are zero. For kFill, the order* fields describe the incoming (aggressing)
// order and the resting* fields the order it traded with; both sides' leaves
// and cumulative quantities are after this fill.
struct BookEvent {
  EventType type = EventType::kAccepted;
  Reason reason = Reason::kNone;
  Side side = Side::kBuy;  // side of orderId (for a fill, the aggressor's side)
  // kRejected: kNoOrderId. kCancelRejected: the id asked for.
  OrderId orderId = kNoOrderId;
  uint64_t clientOrderId = 0;
  // kAccepted: the limit price (0 for market). kFill: the execution price,
  // which is always the resting order's price.
  int64_t priceMicros = 0;
  // kAccepted: the order quantity. kFill: the executed quantity.
  // kCancelled, kExpired: the quantity removed from the book.
  int64_t quantity = 0;
  int64_t leavesQuantity = 0;      // still open after this event
  int64_t cumulativeQuantity = 0;  // executed so far, including this event
  // kFill only.
  OrderId restingOrderId = kNoOrderId;
  uint64_t restingClientOrderId = 0;
  int64_t restingLeavesQuantity = 0;
  int64_t restingCumulativeQuantity = 0;
  uint64_t matchId = 0;  // per book, 1, 2, 3...: the venue's trade number
};

}  // namespace triad::exchange
