#include "utilities/customer/customer_admin.h"

#include <kj/debug.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "utilities/common/call_refusal.h"
#include "utilities/common/tables.h"
#include "utilities/customer/session_servers.h"

namespace triad::customer {
namespace {

// The orders `account` (every account when empty) placed for `symbol` (every
// symbol when empty), or why the replicas could not be read.
Outcome<std::vector<OrderView>> searchOrders(const topology::Topology& topology,
                                             common::SiteStorage& storage, OrderDesk& desk,
                                             const std::string& account,
                                             const std::string& symbol) {
  // The accounts to list: the one asked for, or every account with an order
  // in some customer group. client_orders is keyed by account first, so each
  // account is one short scan: from the first key after all of the previous
  // account's (its bytes and NUL, then 0x01), stopping at the first record.
  std::set<std::string> accounts;
  if (!account.empty()) {
    accounts.insert(account);
  } else {
    for (const topology::Utility& utility : topology.utilities()) {
      if (utility.role != topology::Role::kCustomer) continue;
      bdb::OwnershipGroup* group = storage.group(utility.id);
      if (group == nullptr) continue;
      std::string from;
      for (;;) {
        std::optional<std::string> next;
        bdb::Status s = tables::kClientOrders.scan(*group, from, [&](std::string_view key, auto) {
          next = bdb::KeyReader(key).text();
          return false;
        });
        if (!s.isOk()) return OrderError{idl::ErrorCode::UNAVAILABLE, s.toString()};
        if (!next) break;
        from = bdb::Key::of(*next).bytes();
        from.back() = '\x01';
        accounts.insert(std::move(*next));
      }
    }
  }
  std::vector<OrderView> found;
  for (const std::string& holder : accounts) {
    Outcome<std::vector<OrderView>> listed = desk.list(holder, /*openOnly=*/false);
    if (auto* refused = std::get_if<OrderError>(&listed)) return *refused;
    for (OrderView& view : std::get<std::vector<OrderView>>(listed)) {
      if (symbol.empty() || view.order->getSymbol() == symbol) found.push_back(std::move(view));
    }
  }
  return found;
}

}  // namespace

CustomerAdmin::CustomerAdmin(common::DaemonIdentity identity, common::SiteStorage& storage,
                             common::ServiceHealth& health, const topology::Topology& topology,
                             CustomerService& service)
    : AdminServer(std::move(identity), &storage, health), topology_(topology), service_(service) {}

kj::Promise<void> CustomerAdmin::orders(OrdersContext context) {
  auto params = context.getParams();
  std::string account = params.getAccount();
  std::string symbol = params.getSymbol();
  const topology::Topology* topology = &topology_;
  common::SiteStorage* storage = &service_.storage();
  OrderDesk* desk = &service_.desk();
  return service_.offload()
      .run<Outcome<std::vector<OrderView>>>([topology, storage, desk, account, symbol] {
        return searchOrders(*topology, *storage, *desk, account, symbol);
      })
      .then([context](Outcome<std::vector<OrderView>> outcome) mutable {
        if (auto* refused = std::get_if<OrderError>(&outcome)) {
          kj::throwFatalException(common::callRefusal(refused->code, refused->reason));
        }
        const auto& views = std::get<std::vector<OrderView>>(outcome);
        auto list = context.getResults().initOrders(static_cast<unsigned>(views.size()));
        for (unsigned i = 0; i < views.size(); ++i) fillStatus(views[i], list[i]);
      });
}

}  // namespace triad::customer
