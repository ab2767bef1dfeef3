#include "utilities/common/bus_doorbell.h"

#include <kj/async.h>

#include <type_traits>
#include <utility>
#include <variant>

namespace triad::common {

BusDoorbell::BusDoorbell(kj::UnixEventPort& port, zmq::context_t& zmq, const topology::Broker& bus,
                         const std::vector<std::string>& topicPrefixes, Consumer consumer,
                         ServiceHealth& health, base::Logger& logger,
                         const brokers::CurveClient* curve)
    : busName_(topology::busName(bus.bus)),
      subscriber_(zmq, "tcp://" + bus.address + ":" + std::to_string(bus.subscribePort),
                  {.curve = curve != nullptr ? std::optional(*curve) : std::nullopt}),
      observer_(port, subscriber_.notificationFd(), kj::UnixEventPort::FdObserver::OBSERVE_READ),
      consumer_(std::move(consumer)),
      health_(health),
      logger_(logger) {
  for (const std::string& prefix : topicPrefixes) subscriber_.subscribe(prefix);
}

BusDoorbell::~BusDoorbell() noexcept = default;

kj::Promise<void> BusDoorbell::run() {
  // Whatever was published before this subscription reached the broker is
  // not a gap the subscriber can see: the replicas hold it.
  catchUp("", "start");
  return listen();
}

kj::Promise<void> BusDoorbell::listen() {
  // ZMQ_FD is edge-triggered: wait for it only once everything waiting has
  // been taken, else yield to the loop and go on draining.
  if (drain()) return kj::evalLater([this] { return listen(); });
  return observer_.whenBecomesReadable().then([this] { return listen(); });
}

bool BusDoorbell::drain() {
  for (int taken = 0; taken < kBatch; ++taken) {
    std::optional<brokers::BusEvent> event = subscriber_.poll(std::chrono::milliseconds(0));
    if (!event) return false;
    handle(*event);
  }
  return true;
}

void BusDoorbell::handle(brokers::BusEvent& event) {
  std::visit(
      [this](auto& e) {
        using Event = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<Event, brokers::BusMessage>) {
          health_.updateBus(busName_, e.origin(),
                            [&](BusOriginStat& stat) { stat.lastSequence = e.sequence(); });
          if (!e.envelope().getRecord().isHeartbeat()) consumer_.onMessage(e);
        } else if constexpr (std::is_same_v<Event, brokers::Gap>) {
          health_.updateBus(busName_, e.origin, [](BusOriginStat& stat) { ++stat.gaps; });
          catchUp(e.origin,
                  "gap: " + e.origin + " " + e.topic + " missed " + std::to_string(e.missed()));
        } else if constexpr (std::is_same_v<Event, brokers::Duplicate>) {
          health_.updateBus(busName_, e.origin, [](BusOriginStat& stat) { ++stat.duplicates; });
        } else if constexpr (std::is_same_v<Event, brokers::PublisherRestarted>) {
          catchUp(e.origin, "publisher restarted: " + e.origin);
        } else {
          static_assert(std::is_same_v<Event, brokers::Malformed>);
          logger_.warning("bus-malformed", {{"bus", busName_}, {"reason", e.reason}});
          catchUp("", "malformed message: " + e.reason);
        }
      },
      event);
}

void BusDoorbell::catchUp(std::string_view origin, std::string reason) {
  if (!origin.empty()) {
    health_.updateBus(busName_, origin, [](BusOriginStat& stat) { ++stat.catchUps; });
  }
  logger_.info("bus-catch-up", {{"bus", busName_}, {"reason", reason}});
  consumer_.onCatchUp(reason);
}

}  // namespace triad::common
