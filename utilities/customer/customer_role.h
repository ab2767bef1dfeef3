// triad-customerd's part in the daemon frame: serves the Gateway on the
// utility's customer-facing address (and nowhere else).

#pragma once

#include <capnp/rpc-twoparty.h>

#include "utilities/common/daemon.h"
#include "utilities/customer/customer_service.h"

namespace triad::customer {

class CustomerRole final : public common::DaemonRole, private kj::TaskSet::ErrorHandler {
 public:
  explicit CustomerRole(common::DaemonContext& context);
  ~CustomerRole() noexcept override;
  kj::Promise<void> start() override;
  kj::Own<common::AdminServer> makeAdmin() override;  // customer_admin.h

 private:
  void taskFailed(kj::Exception&& exception) override;

  CustomerService service_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::Own<capnp::TwoPartyServer> server_;
  kj::TaskSet tasks_;
};

}  // namespace triad::customer
