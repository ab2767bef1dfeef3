// The pre-trade check of a customer utility (DESIGN §3): buying power and
// the account's risk limits, read from the firm replica and from the
// account's open orders in every customer group.
//
// - a buy needs cash (trade-date) minus what the account's open buys
//   reserve and what its pending withdrawal requests hold (four eyes, issue
//   17: a pending withdrawal counts as gone); a market buy reserves at a
//   collar over the route's last price;
// - a sell needs the position minus open sells, unless the account may
//   short;
// - limits: maximum order notional, maximum position, allowed symbols.
//
// The check and the write are not one transaction across utilities: two
// buys placed at the same instant at two utilities can both pass. The firm
// books what executes; the limits are the guard (docs/decisions.md).

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "base/topology.h"
#include "utilities/common/site_storage.h"
#include "utilities/customer/order_desk.h"

namespace triad::customer {

// A market buy reserves its quantity at this many basis points over the last price.
inline constexpr int64_t kMarketCollarBasisPoints = 500;

class BuyingPower {
 public:
  // `nowNanos` tells which withdrawal requests have expired; empty: the system clock.
  BuyingPower(const topology::Topology& topology, common::SiteStorage& storage,
              std::function<int64_t()> nowNanos = {});

  // What the order would reserve: quantity times the limit (or collared last) price.
  static int64_t reserveFor(idl::Order::Reader order, int64_t lastPriceMicros);

  // What an open buy holds now: its leaves times its limit price, or for a
  // market order the same share of what it reserved at placement. The
  // pre-trade check and the balance's `reserved` both sum this, so they agree.
  static int64_t heldBy(idl::Order::Reader order, int64_t leavesQuantity);

  // Refuses the order with a reason, or lets it through, setting what a buy
  // reserves (Order.reservedMicros). `desk` lists the account's open orders.
  std::optional<OrderError> check(OrderDesk& desk, std::string_view account,
                                  idl::Order::Builder order);

 private:
  const topology::Topology& topology_;
  common::SiteStorage& storage_;
  std::function<int64_t()> nowNanos_;
};

}  // namespace triad::customer
