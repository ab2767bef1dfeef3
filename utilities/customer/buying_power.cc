#include "utilities/customer/buying_power.h"

#include <chrono>

#include "utilities/common/pending_withdrawals.h"
#include "utilities/common/tables.h"
#include "utilities/firm/account_reads.h"
#include "utilities/firm/money.h"

namespace triad::customer {
namespace {

using idl::ErrorCode;

bdb::OwnershipGroup* firmGroup(const topology::Topology& topology, common::SiteStorage& storage) {
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.role == topology::Role::kFirm) return storage.group(utility.id);
  }
  return nullptr;
}

}  // namespace

BuyingPower::BuyingPower(const topology::Topology& topology, common::SiteStorage& storage,
                         std::function<int64_t()> nowNanos)
    : topology_(topology), storage_(storage), nowNanos_(std::move(nowNanos)) {
  if (!nowNanos_) {
    nowNanos_ = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

int64_t BuyingPower::reserveFor(idl::Order::Reader order, int64_t lastPriceMicros) {
  int64_t price = order.getLimitPriceMicros();
  if (order.getType() == idl::OrderType::MARKET) {
    price = lastPriceMicros + lastPriceMicros * kMarketCollarBasisPoints / 10'000;
  }
  const __int128 notional = static_cast<__int128>(price) * order.getQuantity();
  return notional > INT64_MAX ? INT64_MAX : static_cast<int64_t>(notional);
}

int64_t BuyingPower::heldBy(idl::Order::Reader order, int64_t leavesQuantity) {
  if (order.getSide() != idl::Side::BUY || leavesQuantity <= 0) return 0;
  if (order.getType() != idl::OrderType::MARKET) {
    const __int128 held = static_cast<__int128>(leavesQuantity) * order.getLimitPriceMicros();
    return held > INT64_MAX ? INT64_MAX : static_cast<int64_t>(held);
  }
  if (order.getQuantity() <= 0) return 0;
  const __int128 held =
      static_cast<__int128>(order.getReservedMicros()) * leavesQuantity / order.getQuantity();
  return static_cast<int64_t>(held);
}

std::optional<OrderError> BuyingPower::check(OrderDesk& desk, std::string_view account,
                                             idl::Order::Builder builder) {
  idl::Order::Reader order = builder.asReader();
  bdb::OwnershipGroup* firm = firmGroup(topology_, storage_);
  if (firm == nullptr) return OrderError{ErrorCode::UNAVAILABLE, "no firm replica here"};
  bdb::Record<idl::Account> record;
  bdb::Status s = tables::kAccounts.get(*firm, bdb::Key::of(account), &record);
  if (!s.isOk()) {
    return OrderError{s.isNotFound() ? ErrorCode::UNAUTHENTICATED : ErrorCode::UNAVAILABLE,
                      s.isNotFound() ? "unknown account " + std::string(account) : s.toString()};
  }
  const idl::RiskLimits::Reader limits = record->getLimits();
  const std::string symbol = order.getSymbol();

  if (limits.getAllowedSymbols().size() > 0) {
    bool allowed = false;
    for (auto allowedSymbol : limits.getAllowedSymbols()) allowed |= allowedSymbol == symbol;
    if (!allowed) {
      return OrderError{ErrorCode::RISK_LIMIT,
                        "account " + std::string(account) + " may not trade " + symbol};
    }
  }
  bdb::Record<idl::VenueRoute> route;
  int64_t lastPrice = 0;
  if (tables::kVenueRoutes.get(*firm, bdb::Key::of(symbol), &route).isOk() ||
      tables::kVenueRoutes.get(*firm, bdb::Key::of("*"), &route).isOk()) {
    lastPrice = route->getLastPriceMicros();
  }
  const int64_t needs = reserveFor(order, lastPrice);
  if (limits.getMaxOrderNotionalMicros() > 0 && needs > limits.getMaxOrderNotionalMicros()) {
    return OrderError{ErrorCode::RISK_LIMIT,
                      "order notional " + firm::formatMicros(needs) + " exceeds the limit of " +
                          firm::formatMicros(limits.getMaxOrderNotionalMicros())};
  }

  Outcome<std::vector<OrderView>> open = desk.list(account, /*openOnly=*/true);
  if (auto* refused = std::get_if<OrderError>(&open)) return *refused;
  int64_t reservedByBuys = 0;
  int64_t openSells = 0;
  for (const OrderView& view : std::get<std::vector<OrderView>>(open)) {
    if (view.order->getSide() == idl::Side::BUY) {
      reservedByBuys += heldBy(view.order.reader(), view.status.leavesQuantity);
    } else if (std::string_view(view.order->getSymbol().cStr()) == symbol) {
      openSells += view.status.leavesQuantity;
    }
  }

  int64_t position = 0;
  auto positions = firm::positionsOf(*firm, account);
  if (positions.isOk()) {
    for (const firm::PositionSummary& held : positions.value()) {
      if (held.symbol == symbol) position = held.quantity;
    }
  }

  if (order.getSide() == idl::Side::BUY) {
    auto balance = firm::balanceOf(*firm, account, order.getCurrency().cStr());
    if (!balance.isOk()) return OrderError{ErrorCode::UNAVAILABLE, balance.error().reason};
    int64_t pending = 0;
    bdb::Status held = common::pendingWithdrawalMicros(*firm, account, order.getCurrency().cStr(),
                                                       nowNanos_(), "", &pending);
    if (!held.isOk()) return OrderError{ErrorCode::UNAVAILABLE, held.toString()};
    const int64_t has = balance.value().tradeDateMicros - reservedByBuys - pending;
    if (needs > has) {
      return OrderError{ErrorCode::INSUFFICIENT_BUYING_POWER,
                        "insufficient buying power: needs " + firm::formatMicros(needs) + ", has " +
                            firm::formatMicros(std::max<int64_t>(0, has))};
    }
    if (limits.getMaxPosition() > 0 && position + order.getQuantity() > limits.getMaxPosition()) {
      return OrderError{ErrorCode::RISK_LIMIT,
                        "position in " + symbol + " would exceed the limit of " +
                            std::to_string(limits.getMaxPosition()) + " shares"};
    }
    builder.setReservedMicros(needs);
  } else if (!limits.getAllowShort()) {
    const int64_t available = position - openSells;
    if (order.getQuantity() > available) {
      return OrderError{ErrorCode::INSUFFICIENT_BUYING_POWER,
                        "insufficient position: selling " + std::to_string(order.getQuantity()) +
                            " " + symbol + ", holds " +
                            std::to_string(std::max<int64_t>(0, available)) +
                            " not already offered"};
    }
  }
  return std::nullopt;
}

}  // namespace triad::customer
