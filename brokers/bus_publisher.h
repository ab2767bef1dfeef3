// Publishes bus messages (DESIGN §4) through a broker: one ZeroMQ PUB socket
// connected to the broker's XSUB endpoint (the topology's publishPort).
//
// Every message carries the full record and is stamped with the publisher's
// origin, its incarnation (chosen once, at construction, so that a restarted
// process is visible to subscribers), a sequence number and the send time.
// Sequence numbers run 1, 2, 3... per topic within an incarnation (see
// sequence_tracker.h for why per topic).
//
// The bus is a doorbell, not a store: publish() never blocks and never fails
// for lack of a broker or a subscriber. Until the broker connection is up and
// subscriptions have propagated, while the broker is down (ZMQ_IMMEDIATE: no
// queueing for a reconnection), and whenever the send queue is full, ZeroMQ
// drops the message; subscribers see the gap and catch up from the replicas.
// No order, fill or booking may depend on a publish() arriving.
//
// Thread-safety: a publisher belongs to one thread (ZeroMQ sockets are not
// thread-safe). Give each publishing thread its own publisher; if two must
// share an origin, give them distinct topics or they will look to subscribers
// like restarts of one another.

#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "brokers/bus_curve.h"
#include "brokers/bus_wire.h"

namespace triad::brokers {

class BusPublisher {
 public:
  // Messages queued for the broker before ZeroMQ starts dropping. A memory
  // bound, not flow control (PUB sockets drop rather than block, so the order
  // path never waits for the bus). Sized to ride out a burst of a few seconds
  // at benchmark rates (tens of thousands of envelopes of ~0.5 KB: tens of
  // megabytes at worst) while the broker or its link is slow; anything
  // beyond that is cheaper to recover from the replicas than to buffer.
  static constexpr int kDefaultSendHighWaterMark = 100'000;

  struct Options {
    // Stamped on every envelope. Default: the wall-clock time of construction
    // in nanoseconds, which differs between any two runs of a daemon.
    std::optional<uint64_t> incarnation;
    int sendHighWaterMark = kDefaultSendHighWaterMark;
    // How long closing the socket may wait to flush queued messages to the
    // broker. Bounded so that a dead broker never stalls a daemon's shutdown.
    std::chrono::milliseconds linger{200};
    // Connect with CURVE (bus_curve.h), to a broker that serves it.
    std::optional<CurveClient> curve;
  };

  // Connects to `endpoint` (e.g. "tcp://127.2.0.1:7100"); ZeroMQ connects in
  // the background and reconnects whenever the broker restarts.
  // REQUIRES: `endpoint` is a valid ZeroMQ endpoint (else zmq::error_t), and
  // `origin` is the publishing utility's id, not empty.
  BusPublisher(zmq::context_t& context, const std::string& endpoint, std::string origin,
               Options options);
  BusPublisher(zmq::context_t& context, const std::string& endpoint, std::string origin)
      : BusPublisher(context, endpoint, std::move(origin), Options()) {}
  BusPublisher(const BusPublisher&) = delete;
  BusPublisher& operator=(const BusPublisher&) = delete;

  // Publishes one envelope on `topic`; `fill` sets its record union, e.g.
  //   publisher.publish("order.ss1", [&](auto record) { record.setOrder(order); });
  // Returns the sequence number stamped on it.
  uint64_t publish(std::string_view topic, RecordFiller fill);

  // Publishes a heartbeat record on every topic this publisher has used, each
  // with that topic's next sequence number. Call it when idle (say every
  // second): a subscriber that lost the last messages of a stream sees a Gap
  // at the next heartbeat instead of never. `commitSequence` is the
  // publisher's group position, for lag monitoring (0 if none).
  void publishHeartbeats(uint64_t commitSequence = 0);

  const std::string& origin() const { return origin_; }
  uint64_t incarnation() const { return incarnation_; }
  // The last sequence number used on `topic` in this incarnation (0: none).
  uint64_t lastSequence(std::string_view topic) const;
  uint64_t published() const { return published_; }

 private:
  zmq::socket_t socket_;
  std::string origin_;
  uint64_t incarnation_;
  std::map<std::string, uint64_t, std::less<>> lastSequenceByTopic_;
  uint64_t published_ = 0;
};

}  // namespace triad::brokers
