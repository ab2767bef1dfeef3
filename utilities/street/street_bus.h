// What a street utility says on the buses (DESIGN §1, §4): every street
// record it writes (route, execution, reject, closure) on the firm bus, for
// the firm's booking and the customer utilities' watchers, and its venues'
// market data on the customer bus.
//
// Topics: "route.<street>", "execution.<street>", "reject.<street>",
// "closure.<street>" on the firm bus; on the customer bus
// "md.<venue>.<symbol>", each message the whole top of book and last trade
// as this street utility knows it (FIX sends one side per message;
// subscribers want all), "venue.<venue>" (its FIX session up or down, on
// every change and again with every fifth heartbeat, so that a subscriber
// that joins late learns it), and "halt" (a halt or resume the firm
// recorded, as this street's replica of the firm group shows it).
//
// The records are announced after their commit; nothing depends on the
// announcement arriving (consumers catch up from the replicas).
//
// Thread-safety: every method may be called from any thread (QuickFIX's for
// reports and market data, the loop's for routes and heartbeats); a mutex
// serialises the two ZeroMQ sockets.

#pragma once

#include <zmq.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "base/topology.h"
#include "brokers/bus_publisher.h"
#include "exchange/fix_messages.h"
#include "idl/records.capnp.h"

namespace triad::street {

class StreetBus {
 public:
  // `firmCurve`: connect to the firm bus with CURVE (null: without).
  StreetBus(const topology::Topology& topology, std::string street,
            const brokers::CurveClient* firmCurve = nullptr);
  ~StreetBus();
  StreetBus(const StreetBus&) = delete;
  StreetBus& operator=(const StreetBus&) = delete;

  void announce(idl::Route::Reader route);
  void announce(idl::Execution::Reader execution);
  void announce(idl::Reject::Reader reject);
  void announce(idl::Closure::Reader closure);
  void relay(const std::string& venue, const exchange::MarketDataMessage& update);
  void venueStatus(const std::string& venue, bool up, const std::string& reason);
  void announce(idl::Halt::Reader halt);

  // Every topic's next sequence number, so that a subscriber notices a lost
  // last message. Call about once a second.
  void heartbeat();

 private:
  struct Top {
    int64_t bidPriceMicros = 0, bidQuantity = 0;
    int64_t askPriceMicros = 0, askQuantity = 0;
    int64_t lastPriceMicros = 0, lastQuantity = 0;
  };

  const std::string street_;
  std::mutex mutex_;  // guards every member below
  zmq::context_t zmq_;
  std::unique_ptr<brokers::BusPublisher> firm_;
  std::unique_ptr<brokers::BusPublisher> customer_;
  struct Session {
    bool up = false;
    std::string reason;
    int64_t sinceNanos = 0;
  };
  void publishVenueStatus(const std::string& venue, const Session& session);

  std::map<std::pair<std::string, std::string>, Top> tops_;  // by (venue, symbol)
  std::map<std::string, Session> sessions_;                  // by venue
  uint64_t heartbeats_ = 0;
};

}  // namespace triad::street
