#include "tools/triadctl/orders_report.h"

#include <array>

#include "exchange/decimal_text.h"
#include "tools/triadctl/admin_client.h"
#include "tools/triadctl/capnp_text.h"
#include "tools/triadctl/text_table.h"
#include "utilities/customer/order_desk.h"
#include "utilities/customer/order_state.h"

namespace triad::ctl {
namespace {

using nlohmann::json;

constexpr std::array kStates = {idl::OrderState::PENDING_NEW,      idl::OrderState::NEW,
                                idl::OrderState::PARTIALLY_FILLED, idl::OrderState::FILLED,
                                idl::OrderState::PENDING_CANCEL,   idl::OrderState::CANCELLED,
                                idl::OrderState::REJECTED,         idl::OrderState::EXPIRED};

// Whether `state` matches the --status filter; false for an unknown filter.
bool matches(const std::string& filter, idl::OrderState state) {
  if (filter.empty()) return true;
  if (filter == "open") return !customer::isDone(state);
  if (filter == "done") return customer::isDone(state);
  return customer::stateName(state) == filter;
}

bool knownFilter(const std::string& filter) {
  if (filter.empty() || filter == "open" || filter == "done") return true;
  for (idl::OrderState state : kStates) {
    if (customer::stateName(state) == filter) return true;
  }
  return false;
}

std::string priceText(int64_t micros) { return micros == 0 ? "-" : exchange::formatMicros(micros); }

}  // namespace

Outcome ordersReport(kj::AsyncIoContext& io, const topology::Topology& topology,
                     const CommandOptions& options) {
  if (!knownFilter(options.status)) {
    std::string names = "open, done";
    for (idl::OrderState state : kStates) names += ", " + std::string(customer::stateName(state));
    return failure(kExitUsage, "--status must be one of " + names);
  }
  std::vector<Endpoint> candidates;
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.role != topology::Role::kCustomer) continue;
    if (!options.utility.empty() && utility.id != options.utility) continue;
    candidates.push_back({utility.id, utility.firmAddress, utility.adminPort, options.tls});
  }
  if (candidates.empty()) {
    return failure(kExitUsage, options.utility.empty()
                                   ? "the topology has no customer utility"
                                   : "'" + options.utility + "' is not a customer utility");
  }

  std::string unreachable;
  for (const Endpoint& endpoint : candidates) {
    Outcome outcome;
    bool connected = false;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   AdminClient admin(io, endpoint, options.timeout, options.writeTimeout);
                   connected = true;
                   auto request = admin->ordersRequest();
                   request.setAccount(options.account);
                   request.setSymbol(options.symbol);
                   auto response = admin.call(kj::mv(request));
                   json orders = json::array();
                   TextTable table({{"ORDER"},
                                    {"ACCOUNT"},
                                    {"SYMBOL"},
                                    {"SIDE"},
                                    {"TYPE"},
                                    {"TIF"},
                                    {"QTY", true},
                                    {"LIMIT", true},
                                    {"STATUS"},
                                    {"FILLED", true},
                                    {"AVG", true},
                                    {"LEAVES", true},
                                    {"ROUTE"},
                                    {"REASON"}});
                   for (idl::OrderStatus::Reader status : response.getOrders()) {
                     if (!matches(options.status, status.getState())) continue;
                     idl::Order::Reader order = status.getOrder();
                     const std::string state(customer::stateName(status.getState()));
                     orders.push_back({{"id", order.getId().cStr()},
                                       {"account", order.getAccount().cStr()},
                                       {"clientOrderId", order.getClientOrderId().cStr()},
                                       {"symbol", order.getSymbol().cStr()},
                                       {"side", enumText(order.getSide())},
                                       {"type", enumText(order.getType())},
                                       {"timeInForce", enumText(order.getTimeInForce())},
                                       {"quantity", order.getQuantity()},
                                       {"limitPriceMicros", order.getLimitPriceMicros()},
                                       {"currency", order.getCurrency().cStr()},
                                       {"street", order.getStreet().cStr()},
                                       {"venue", order.getVenue().cStr()},
                                       {"placedAtNanos", order.getPlacedAtNanos()},
                                       {"status", state},
                                       {"filledQuantity", status.getFilledQuantity()},
                                       {"averagePriceMicros", status.getAveragePriceMicros()},
                                       {"leavesQuantity", status.getLeavesQuantity()},
                                       {"reason", status.getReason().cStr()}});
                     table.add({order.getId(), order.getAccount(), order.getSymbol(),
                                enumText(order.getSide()), enumText(order.getType()),
                                enumText(order.getTimeInForce()),
                                std::to_string(order.getQuantity()),
                                priceText(order.getLimitPriceMicros()), state,
                                std::to_string(status.getFilledQuantity()),
                                priceText(status.getAveragePriceMicros()),
                                std::to_string(status.getLeavesQuantity()),
                                std::string(order.getStreet()) + "/" + order.getVenue().cStr(),
                                status.getReason().size() == 0 ? "-" : status.getReason().cStr()});
                   }
                   outcome.data = {{"command", "orders"},
                                   {"utility", endpoint.id},
                                   {"filter",
                                    {{"account", options.account},
                                     {"symbol", options.symbol},
                                     {"status", options.status}}},
                                   {"orders", orders}};
                   outcome.text = table.render() + std::to_string(orders.size()) + " order" +
                                  (orders.size() == 1 ? "" : "s") + " (asked " + endpoint.id +
                                  ")\n";
                 })) {
      if (!connected || isUnreachable(*exception)) {
        unreachable +=
            (unreachable.empty() ? "" : "; ") + endpoint.id + ": " +
            describeFailure(*exception, connected ? options.writeTimeout : options.timeout);
        continue;  // the next customer utility may answer
      }
      return failure(kExitRefused, endpoint.id + " failed the search: " +
                                       describeFailure(*exception, options.writeTimeout));
    }
    return outcome;
  }
  return failure(kExitUnreachable, "no customer utility answered (" + unreachable + ")");
}

}  // namespace triad::ctl
