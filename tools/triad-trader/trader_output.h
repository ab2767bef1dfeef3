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
void printBalance(std::ostream& out, idl::BalanceView::Reader balance);
void printPositions(std::ostream& out, const std::vector<idl::PositionView::Reader>& positions);

}  // namespace triad::trader
