// triad-customerd's Admin (idl/admin.capnp): the frame's health and groups
// (common::AdminServer), plus `orders`, the operator's search for orders.
//
//   orders(account, symbol)  every order placed at any customer utility whose
//                            group this site holds, with its status derived
//                            from the local replicas exactly as a customer's
//                            orderStatus is (order_desk.h, order_state.h).
//                            An empty account means every account, an empty
//                            symbol every symbol. Sorted by account, then
//                            per utility oldest first, as OrderDesk lists.
//
// The status filter (triadctl orders --status) is the console's: statuses
// are derived, not stored, so filtering here would save nothing.
//
// A replica that cannot be read (not yet initialised, locked out) fails the
// call with a Cap'n Proto exception carrying the reason: orders has no error
// field.
//
// Blocking: the scan runs on the service's pool (offload.h), never on the
// event loop that also serves customers' Gateway sessions.
//
// Thread-safety: runs on the event loop thread that serves the RPC.

#pragma once

#include "utilities/common/admin_server.h"
#include "utilities/customer/customer_service.h"

namespace triad::customer {

class CustomerAdmin final : public common::AdminServer {
 public:
  // Every referent must outlive the server.
  CustomerAdmin(common::DaemonIdentity identity, common::SiteStorage& storage,
                common::ServiceHealth& health, const topology::Topology& topology,
                CustomerService& service);

 protected:
  kj::Promise<void> orders(OrdersContext context) override;

 private:
  const topology::Topology& topology_;
  CustomerService& service_;
};

}  // namespace triad::customer
