#include "exchange/book_event.h"

namespace triad::exchange {

std::string_view toString(EventType type) {
  switch (type) {
    case EventType::kAccepted:
      return "accepted";
    case EventType::kFill:
      return "fill";
    case EventType::kCancelled:
      return "cancelled";
    case EventType::kExpired:
      return "expired";
    case EventType::kRejected:
      return "rejected";
    case EventType::kCancelRejected:
      return "cancel rejected";
  }
  return "unknown event";
}

std::string_view describe(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "";
    case Reason::kQuantityNotPositive:
      return "order quantity must be at least one share";
    case Reason::kQuantityTooLarge:
      return "order quantity exceeds 1,000,000,000 shares";
    case Reason::kPriceNotPositive:
      return "a limit order needs a limit price above zero";
    case Reason::kPriceTooHigh:
      return "limit price exceeds 1,000,000,000.00 per share";
    case Reason::kUnknownSide:
      return "side must be buy or sell";
    case Reason::kUnknownOrderType:
      return "order type must be market or limit";
    case Reason::kUnknownTimeInForce:
      return "time in force must be DAY, GTC or IOC";
    case Reason::kUnknownSymbol:
      return "symbol is not traded on this exchange";
    case Reason::kInvalidSymbol:
      return "symbol must be 1 to 16 characters of A-Z, 0-9, '.', '-' or '/'";
    case Reason::kTooManySymbols:
      return "the exchange cannot list another symbol";
    case Reason::kCancelRequested:
      return "cancelled on request";
    case Reason::kImmediateOrCancelRemainder:
      return "immediate-or-cancel order: the unfilled rest is cancelled";
    case Reason::kMarketOrderRemainder:
      return "market order: no more liquidity, the unfilled rest is cancelled";
    case Reason::kUnknownOrder:
      return "unknown order: this exchange never issued that order id";
    case Reason::kOrderNotOpen:
      return "too late to cancel: the order is already filled, cancelled or expired";
    case Reason::kEndOfDay:
      return "day order expired at the end of the session";
  }
  return "unknown reason";
}

}  // namespace triad::exchange
