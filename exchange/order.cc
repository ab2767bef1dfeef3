#include "exchange/order.h"

namespace triad::exchange {

std::string_view toString(Side side) {
  switch (side) {
    case Side::kBuy:
      return "buy";
    case Side::kSell:
      return "sell";
  }
  return "unknown side";
}

std::string_view toString(OrderType type) {
  switch (type) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
  }
  return "unknown order type";
}

std::string_view toString(TimeInForce timeInForce) {
  switch (timeInForce) {
    case TimeInForce::kDay:
      return "day";
    case TimeInForce::kGoodTillCancel:
      return "good till cancel";
    case TimeInForce::kImmediateOrCancel:
      return "immediate or cancel";
  }
  return "unknown time in force";
}

}  // namespace triad::exchange
