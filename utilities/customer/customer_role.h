// triad-customerd's part in the daemon frame: serves the Gateway on the
// utility's customer-facing address (and nowhere else), and listens to both
// buses for its watchers: street records announced on the firm bus make the
// watch hub look at the replicas sooner; market data on the customer bus goes
// straight to the watchers. With --tls-cert/--tls-key (tls_options.h) the
// Gateway serves TLS only.

#pragma once

#include <capnp/rpc-twoparty.h>

#include <memory>

#include "utilities/common/bus_doorbell.h"
#include "utilities/common/daemon.h"
#include "utilities/customer/customer_service.h"
#include "utilities/customer/gateway_listener.h"
#include "utilities/customer/watch_hub.h"

namespace triad::customer {

class CustomerRole final : public common::DaemonRole, private kj::TaskSet::ErrorHandler {
 public:
  explicit CustomerRole(common::DaemonContext& context);
  ~CustomerRole() noexcept override;
  kj::Promise<void> start() override;
  // --release-interval-ms N: how often the release mark moves (default 100).
  static void addOptions(boost::program_options::options_description& options);
  kj::Own<common::AdminServer> makeAdmin() override;  // customer_admin.h

 private:
  void taskFailed(kj::Exception&& exception) override;
  void listenToBuses();
  kj::Promise<void> heartbeatEverySecond();
  // Records the order desk's release mark (order_desk.h) now and then, on a
  // pool thread: the street utilities route unannounced orders by it.
  kj::Promise<void> releaseOrdersEvery(kj::Duration interval);

  CustomerService service_;
  WatchHub watchHub_;
  std::unique_ptr<common::BusDoorbell> firmBus_;
  std::unique_ptr<common::BusDoorbell> customerBus_;
  kj::Maybe<kj::Own<kj::TlsContext>> gatewayTls_;  // until the listener takes it
  kj::Own<GatewayListener> gateway_;
  std::string releaseFailure_;  // the last failure logged, logged again only if it changes
  kj::TaskSet tasks_;
};

}  // namespace triad::customer
