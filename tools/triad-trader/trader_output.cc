#include "tools/triad-trader/trader_output.h"

#include <iomanip>

#include "utilities/customer/order_state.h"
#include "utilities/firm/money.h"

namespace triad::trader {
namespace {

std::string price(int64_t micros) { return micros == 0 ? "-" : firm::formatMicros(micros); }

}  // namespace

std::string_view errorName(idl::ErrorCode code) {
  switch (code) {
    case idl::ErrorCode::INVALID_ARGUMENT:
      return "invalid-argument";
    case idl::ErrorCode::UNKNOWN_SYMBOL:
      return "unknown-symbol";
    case idl::ErrorCode::INSUFFICIENT_BUYING_POWER:
      return "insufficient-buying-power";
    case idl::ErrorCode::RISK_LIMIT:
      return "risk-limit";
    case idl::ErrorCode::HALTED:
      return "halted";
    case idl::ErrorCode::NOT_FOUND:
      return "not-found";
    case idl::ErrorCode::NOT_REPLICATED:
      return "not-replicated";
    case idl::ErrorCode::UNAVAILABLE:
      return "unavailable";
    case idl::ErrorCode::UNAUTHENTICATED:
      return "unauthenticated";
    case idl::ErrorCode::RATE_LIMITED:
      return "rate-limited";
    case idl::ErrorCode::SESSION_EXPIRED:
      return "session-expired";
    case idl::ErrorCode::DUPLICATE:
      return "duplicate";
    case idl::ErrorCode::TOO_LATE:
      return "too-late";
    case idl::ErrorCode::INTERNAL:
      return "internal";
    case idl::ErrorCode::PERMISSION_DENIED:
      return "permission-denied";
  }
  return "unknown";
}

void printOrders(std::ostream& out, const std::vector<idl::OrderStatus::Reader>& orders) {
  out << std::left << std::setw(15) << "ORDER" << std::setw(9) << "SIDE" << std::setw(9) << "SYMBOL"
      << std::right << std::setw(9) << "QTY" << std::setw(12) << "LIMIT" << std::setw(9) << "FILLED"
      << std::setw(12) << "AVG PRICE"
      << "  " << std::left << std::setw(17) << "STATE"
      << "VENUE\n";
  for (const idl::OrderStatus::Reader& status : orders) {
    const idl::Order::Reader order = status.getOrder();
    out << std::left << std::setw(15) << order.getId().cStr() << std::setw(9)
        << (order.getSide() == idl::Side::BUY ? "buy" : "sell") << std::setw(9)
        << order.getSymbol().cStr() << std::right << std::setw(9) << order.getQuantity()
        << std::setw(12) << price(order.getLimitPriceMicros()) << std::setw(9)
        << status.getFilledQuantity() << std::setw(12) << price(status.getAveragePriceMicros())
        << "  " << std::left << std::setw(17) << customer::stateName(status.getState())
        << order.getStreet().cStr() << "/" << order.getVenue().cStr();
    if (status.getReason().size() > 0) out << "  (" << status.getReason().cStr() << ")";
    out << "\n";
  }
}

void printUpdate(std::ostream& out, idl::OrderStatus::Reader status) {
  const idl::Order::Reader order = status.getOrder();
  out << "order  " << order.getId().cStr() << "  "
      << (order.getSide() == idl::Side::BUY ? "buy " : "sell ") << order.getQuantity() << " "
      << order.getSymbol().cStr() << "  " << customer::stateName(status.getState()) << "  filled "
      << status.getFilledQuantity();
  if (status.getFilledQuantity() > 0) out << " @ " << price(status.getAveragePriceMicros());
  if (status.getReason().size() > 0) out << "  (" << status.getReason().cStr() << ")";
  out << std::endl;
}

void printQuote(std::ostream& out, std::string_view venue, std::string_view symbol,
                int64_t bidMicros, int64_t askMicros, int64_t lastMicros) {
  out << "quote  " << venue << " " << symbol << "  bid " << price(bidMicros) << "  ask "
      << price(askMicros) << "  last " << price(lastMicros) << std::endl;
}

void printBalance(std::ostream& out, idl::BalanceView::Reader balance) {
  out << std::left << std::setw(16) << "currency" << balance.getCurrency().cStr() << "\n"
      << std::setw(16) << "cash" << firm::formatMicros(balance.getTradeDateMicros()) << "\n"
      << std::setw(16) << "settled" << firm::formatMicros(balance.getSettledMicros()) << "\n"
      << std::setw(16) << "reserved" << firm::formatMicros(balance.getReservedMicros()) << "\n"
      << std::setw(16) << "buying power" << firm::formatMicros(balance.getBuyingPowerMicros())
      << "\n";
}

void printPositions(std::ostream& out, const std::vector<idl::PositionView::Reader>& positions) {
  out << std::left << std::setw(9) << "SYMBOL" << std::right << std::setw(10) << "QTY"
      << std::setw(14) << "AVG COST" << std::setw(16) << "REALISED P&L\n";
  for (const idl::PositionView::Reader& position : positions) {
    out << std::left << std::setw(9) << position.getSymbol().cStr() << std::right << std::setw(10)
        << position.getQuantity() << std::setw(14) << price(position.getAverageCostMicros())
        << std::setw(16) << firm::formatMicros(position.getRealisedPnlMicros()) << "\n";
  }
}

}  // namespace triad::trader
