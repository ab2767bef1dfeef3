#include "utilities/customer/customer_role.h"

#include "utilities/customer/customer_admin.h"
#include "utilities/customer/session_servers.h"

namespace triad::customer {

// Blocking storage work runs on this many threads per utility.
constexpr size_t kWorkerThreads = 8;

CustomerRole::CustomerRole(common::DaemonContext& context)
    : DaemonRole(context),
      service_(context.topology, *context.storage, context.logger, kWorkerThreads),
      tasks_(*this) {}

CustomerRole::~CustomerRole() noexcept = default;

kj::Promise<void> CustomerRole::start() {
  const topology::Utility& site = *context().utility;
  KJ_REQUIRE(site.customerAddress.has_value(), "a customer utility has a customer address");
  auto address = kj::str(site.customerAddress->c_str(), ":", site.gatewayPort);
  return context().io.provider->getNetwork().parseAddress(address).then(
      [this, address = kj::mv(address)](kj::Own<kj::NetworkAddress> parsed) {
        listener_ = parsed->listen();
        server_ = kj::heap<capnp::TwoPartyServer>(kj::heap<GatewayServer>(service_));
        tasks_.add(server_->listen(*listener_));
        context().logger.info("gateway-listening", {{"address", address.cStr()}});
      });
}

kj::Own<common::AdminServer> CustomerRole::makeAdmin() {
  return kj::heap<CustomerAdmin>(context().identity, *context().storage, context().health,
                                 context().topology, service_);
}

void CustomerRole::taskFailed(kj::Exception&& exception) {
  context().logger.error("gateway-failed", {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::customer
