// triad-trader's tables: one order, position or balance per line, aligned,
// prices with their decimals, so a person can read them and a script can
// split them on whitespace.

#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include "idl/customer.capnp.h"

namespace triad::trader {

std::string_view errorName(idl::ErrorCode code);
void printOrders(std::ostream& out, const std::vector<idl::OrderStatus::Reader>& orders);
// One line per pushed update, for `watch`:
//   order  cf1-000000001  buy 100 ACME  partially-filled  filled 50 @ 100.01
//   quote  xnys ACME  bid 100.00  ask 100.01  last 100.01
void printUpdate(std::ostream& out, idl::OrderStatus::Reader status);
void printQuote(std::ostream& out, std::string_view venue, std::string_view symbol,
                int64_t bidMicros, int64_t askMicros, int64_t lastMicros);
void printBalance(std::ostream& out, idl::BalanceView::Reader balance);
void printPositions(std::ostream& out, const std::vector<idl::PositionView::Reader>& positions);

}  // namespace triad::trader
