// A daemon's ear on one bus (DESIGN §4): a BusSubscriber driven by the kj
// event loop. Every new message goes to the consumer's onMessage; whatever
// says messages may have been missed (a gap, a publisher restart, a frame that
// does not decode, and the doorbell's own start) goes to onCatchUp, and the
// consumer scans its replicas. The consumer never depends on a message
// arriving: the doorbell only makes it act sooner.
//
// Counters per publishing origin (last sequence, gaps, duplicates, catch-ups)
// are kept in ServiceHealth, where Admin.busStats reads them.
//
// Thread-safety: lives on the event loop thread; the callbacks run there.

#pragma once

#include <kj/async-unix.h>
#include <zmq.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/topology.h"
#include "brokers/bus_subscriber.h"
#include "utilities/common/service_health.h"

namespace triad::common {

class BusDoorbell {
 public:
  struct Consumer {
    std::function<void(const brokers::BusMessage&)> onMessage;
    // `reason` is one readable line ("gap: cf1 order.ss1 missed 3").
    std::function<void(std::string_view reason)> onCatchUp;
  };

  // Subscribes to `topicPrefixes` on `bus` (its XPUB endpoint). REQUIRES:
  // `port` is the running loop's event port; every referent outlives this.
  BusDoorbell(kj::UnixEventPort& port, zmq::context_t& zmq, const topology::Broker& bus,
              const std::vector<std::string>& topicPrefixes, Consumer consumer,
              ServiceHealth& health, base::Logger& logger,
              const brokers::CurveClient* curve = nullptr);  // CURVE if not null
  ~BusDoorbell() noexcept;
  BusDoorbell(const BusDoorbell&) = delete;
  BusDoorbell& operator=(const BusDoorbell&) = delete;

  // Asks for the start-up catch-up, then delivers events for as long as the
  // promise lives. Call once.
  kj::Promise<void> run();

 private:
  // Hands every waiting event to the consumer, at most `kBatch` at a time so
  // that a flood of messages does not starve the loop's other work; true
  // when it stopped at the limit (more may be waiting).
  bool drain();
  kj::Promise<void> listen();
  void handle(brokers::BusEvent& event);
  void catchUp(std::string_view origin, std::string reason);

  static constexpr int kBatch = 1000;

  std::string busName_;
  brokers::BusSubscriber subscriber_;
  kj::UnixEventPort::FdObserver observer_;
  Consumer consumer_;
  ServiceHealth& health_;
  base::Logger& logger_;
};

}  // namespace triad::common
