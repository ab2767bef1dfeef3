#include "utilities/customer/customer_role.h"

#include <algorithm>

#include "utilities/common/tls_options.h"
#include "utilities/customer/customer_admin.h"
#include "utilities/customer/gateway_listener.h"
#include "utilities/customer/session_servers.h"

namespace triad::customer {

// Blocking storage work runs on this many threads per utility, by default:
// a placeOrder holds one through its acknowledged commit (~1 ms), and the
// daemon stays within 16 threads (docs/decisions.md, issue 15).
constexpr int64_t kDefaultWorkerThreads = 8;
// How often the release mark moves: the delay before a street utility
// routes an order whose announcement it missed.
constexpr int64_t kDefaultReleaseIntervalMs = 100;

void CustomerRole::addOptions(boost::program_options::options_description& options) {
  options.add_options()(
      "worker-threads",
      boost::program_options::value<int64_t>()->default_value(kDefaultWorkerThreads),
      "threads that run placeOrder's and the other calls' storage work (each holds one "
      "through its acknowledged commit)")(
      "release-interval-ms",
      boost::program_options::value<int64_t>()->default_value(kDefaultReleaseIntervalMs),
      "how often to record which orders are decided (order_desk.h): the delay "
      "before a street utility routes an order whose bus announcement it missed");
}

CustomerRole::CustomerRole(common::DaemonContext& context)
    : DaemonRole(context),
      service_(context.topology, *context.storage, context.logger,
               static_cast<size_t>(
                   std::clamp<int64_t>(context.variables["worker-threads"].as<int64_t>(), 1, 256)),
               loginOptionsFrom(context.variables), context.firmBusCurve),
      watchHub_(service_, context.io.provider->getTimer()),
      tasks_(*this) {
  service_.attachWatchHub(&watchHub_);
  // Read now: a daemon told to serve TLS whose files are bad does not start,
  // rather than serve plaintext.
  if (auto files = common::tlsServerFilesFrom(context.variables)) {
    gatewayTls_ = common::makeServerTls(*files);
    context.logger.info("gateway-tls", {{"certificate", files->certificate},
                                        {"client-ca", files->clientCa.empty() ? std::string("none")
                                                                              : files->clientCa}});
  }
}

CustomerRole::~CustomerRole() noexcept = default;

kj::Promise<void> CustomerRole::start() {
  const topology::Utility& site = *context().utility;
  KJ_REQUIRE(site.customerAddress.has_value(), "a customer utility has a customer address");
  listenToBuses();
  tasks_.add(watchHub_.run());
  tasks_.add(heartbeatEverySecond());
  const int64_t releaseMs = context().variables.count("release-interval-ms")
                                ? context().variables["release-interval-ms"].as<int64_t>()
                                : kDefaultReleaseIntervalMs;
  if (releaseMs <= 0) {
    return KJ_EXCEPTION(FAILED, "--release-interval-ms must be positive", releaseMs);
  }
  tasks_.add(releaseOrdersEvery(releaseMs * kj::MILLISECONDS));
  auto address = kj::str(site.customerAddress->c_str(), ":", site.gatewayPort);
  return context().io.provider->getNetwork().parseAddress(address).then(
      [this, address = kj::mv(address)](kj::Own<kj::NetworkAddress> parsed) {
        // Each connection gets its own Gateway, told the peer's address.
        const bool tls = gatewayTls_ != nullptr;
        gateway_ = kj::heap<GatewayListener>(
            service_, parsed->listen(), context().io.provider->getTimer(), kj::mv(gatewayTls_));
        tasks_.add(gateway_->run());
        context().logger.info("gateway-listening", {{"address", address.cStr()}, {"tls", tls}});
      });
}

void CustomerRole::listenToBuses() {
  if (const topology::Broker* bus = context().topology.broker(topology::Bus::kFirm)) {
    firmBus_ = std::make_unique<common::BusDoorbell>(
        context().io.unixEventPort, service_.zmq(), *bus,
        std::vector<std::string>{"route.", "execution.", "reject.", "closure."},
        common::BusDoorbell::Consumer{
            .onMessage = [this](const brokers::BusMessage&) { watchHub_.poke(); },
            .onCatchUp = [this](std::string_view) { watchHub_.poke(); }},
        context().health, context().logger, context().firmBusCurve);
    tasks_.add(firmBus_->run());
  }
  if (const topology::Broker* bus = context().topology.broker(topology::Bus::kCustomer)) {
    customerBus_ = std::make_unique<common::BusDoorbell>(
        context().io.unixEventPort, service_.zmq(), *bus, std::vector<std::string>{"md."},
        common::BusDoorbell::Consumer{
            .onMessage =
                [this](const brokers::BusMessage& message) {
                  auto record = message.envelope().getRecord();
                  if (record.isMarketData()) watchHub_.marketData(record.getMarketData());
                },
            // Market data is not kept: a missed quote is superseded by the next.
            .onCatchUp = [](std::string_view) {}},
        context().health, context().logger);
    tasks_.add(customerBus_->run());
  }
}

kj::Promise<void> CustomerRole::heartbeatEverySecond() {
  return context().io.provider->getTimer().afterDelay(1 * kj::SECONDS).then([this] {
    service_.heartbeat();
    return heartbeatEverySecond();
  });
}

kj::Promise<void> CustomerRole::releaseOrdersEvery(kj::Duration interval) {
  // The failure travels beside the promise: gcc 12 misreads a kj promise of
  // a string as maybe uninitialised.
  auto failure = std::make_shared<std::string>();
  return service_.offload()
      .run<bool>([this, failure] {
        bdb::Status released = service_.desk().release();
        if (!released.isOk()) *failure = released.toString();
        return released.isOk();
      })
      .then([this, interval, failure](bool) {
        if (*failure != releaseFailure_) {
          if (failure->empty()) {
            context().logger.info("orders-released-again", {});
          } else {
            context().logger.warning("orders-not-released", {{"reason", *failure}});
          }
          releaseFailure_ = std::move(*failure);
        }
        return context().io.provider->getTimer().afterDelay(interval);
      })
      .then([this, interval] { return releaseOrdersEvery(interval); });
}

kj::Own<common::AdminServer> CustomerRole::makeAdmin() {
  return kj::heap<CustomerAdmin>(context().identity, *context().storage, context().health,
                                 context().topology, service_);
}

void CustomerRole::taskFailed(kj::Exception&& exception) {
  context().logger.error("gateway-failed", {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::customer
