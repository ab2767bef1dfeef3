// What a customer asks the exchange to do: the vocabulary shared by the order
// book, the matching engine, the liquidity provider and (later) the FIX
// acceptor. Money is integer micros and quantities are whole shares, never
// double (CONVENTIONS §8).

#pragma once

#include <cstdint>
#include <string_view>

namespace triad::exchange {

// Chosen by the exchange, never by the customer. 0 is never a valid order.
using OrderId = uint64_t;
inline constexpr OrderId kNoOrderId = 0;

// The values match FIX tag 54 ('1' buy, '2' sell) so the acceptor can cast.
// Any other value is "unknown side" and the order is rejected.
enum class Side : uint8_t { kBuy = '1', kSell = '2' };

// FIX tag 40: '1' market, '2' limit.
enum class OrderType : uint8_t { kMarket = '1', kLimit = '2' };

// FIX tag 59: '0' day, '1' good till cancel, '3' immediate or cancel.
enum class TimeInForce : uint8_t { kDay = '0', kGoodTillCancel = '1', kImmediateOrCancel = '3' };

// A new order as received. Inputs are validated by the book, which rejects
// (with a reason) rather than asserts, because they come from outside.
struct OrderRequest {
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce timeInForce = TimeInForce::kDay;
  int64_t priceMicros = 0;  // limit price; ignored for market orders
  int64_t quantity = 0;     // whole shares
  // Opaque to the exchange and echoed in every event about the order. The FIX
  // acceptor maps (session, ClOrdID) to a number here, so that unbounded
  // strings never travel through the book.
  uint64_t clientOrderId = 0;
};

// Bounds that keep every sum the book makes (level totals, cumulative
// quantities) far from int64 overflow. Larger inputs are rejected.
inline constexpr int64_t kMaxOrderQuantity = 1'000'000'000;        // shares
inline constexpr int64_t kMaxPriceMicros = 1'000'000'000'000'000;  // $1e9 per share

inline constexpr Side opposite(Side side) { return side == Side::kBuy ? Side::kSell : Side::kBuy; }

std::string_view toString(Side side);
std::string_view toString(OrderType type);
std::string_view toString(TimeInForce timeInForce);

}  // namespace triad::exchange
