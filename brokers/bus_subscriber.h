// Receives bus messages through a broker: one ZeroMQ SUB socket connected to
// the broker's XPUB endpoint (the topology's subscribePort), filtering by
// topic prefix, and turning what arrives into typed events.
//
// poll() returns, one at a time and in arrival order:
//   - BusMessage: a decoded envelope, new on its stream;
//   - Gap: messages of a stream were missed (the message that revealed the
//     gap follows as the next event);
//   - Duplicate: a message already seen; it is dropped, only reported;
//   - PublisherRestarted: an origin came back with a new incarnation (its
//     first message follows);
//   - Malformed: a frame that does not decode. Never a crash, never an
//     exception out of poll().
// See sequence_tracker.h for the exact rules. On a gap, a restart, or its own
// start, a consumer catches up from the replicas (DESIGN §4): the bus is a
// doorbell.
//
// Thread-safety: a subscriber belongs to one thread, like its socket; stats()
// too is read on that thread.

#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "brokers/bus_curve.h"
#include "brokers/bus_wire.h"
#include "brokers/sequence_tracker.h"

namespace triad::brokers {

using BusEvent = std::variant<BusMessage, Gap, Duplicate, PublisherRestarted, Malformed>;

// Counters since construction, for the admin busStats.
struct BusStats {
  uint64_t messages = 0;    // delivered BusMessage events
  uint64_t gaps = 0;        // Gap events
  uint64_t missed = 0;      // messages the gaps account for
  uint64_t duplicates = 0;  // Duplicate events (messages dropped)
  uint64_t restarts = 0;    // PublisherRestarted events
  uint64_t malformed = 0;   // Malformed events
  bool operator==(const BusStats&) const = default;
};

class BusSubscriber {
 public:
  // Messages queued in this process, not yet taken by poll(), before ZeroMQ
  // drops what the broker sends (the broker's own per-subscriber queue is the
  // other half of the buffer). Dropping is safe, every gap costs a catch-up
  // scan of a replica, so this absorbs bursts of a few seconds at benchmark
  // rates while a consumer is busy (tens of megabytes at worst) and leaves
  // longer stalls to the replicas.
  static constexpr int kDefaultReceiveHighWaterMark = 100'000;

  struct Options {
    int receiveHighWaterMark = kDefaultReceiveHighWaterMark;
    // Connect with CURVE (bus_curve.h), to a broker that serves it.
    std::optional<CurveClient> curve;
  };

  // Connects to `endpoint` (e.g. "tcp://127.2.0.1:7101"); ZeroMQ connects in
  // the background and reconnects (and resubscribes) when the broker restarts.
  // REQUIRES: `endpoint` is a valid ZeroMQ endpoint (else zmq::error_t).
  BusSubscriber(zmq::context_t& context, const std::string& endpoint, Options options);
  BusSubscriber(zmq::context_t& context, const std::string& endpoint)
      : BusSubscriber(context, endpoint, Options()) {}
  BusSubscriber(const BusSubscriber&) = delete;
  BusSubscriber& operator=(const BusSubscriber&) = delete;

  // Receives messages whose topic starts with `topicPrefix` ("" for all).
  // Prefixes are bytes: "order.ss1" also matches "order.ss10". Subscriptions
  // reach publishers asynchronously (ZeroMQ's slow joiner): messages
  // published before then are not delivered and are not gaps either.
  void subscribe(std::string_view topicPrefix);
  void unsubscribe(std::string_view topicPrefix);

  // The next event, waiting up to `timeout` for one; nullopt if none came in
  // time (or the ZeroMQ context is shutting down).
  [[nodiscard]] std::optional<BusEvent> poll(std::chrono::milliseconds timeout);

  const BusStats& stats() const { return stats_; }

  // A file descriptor that becomes readable when the socket *may* have
  // messages, for an event loop (ZMQ_FD semantics: edge-triggered; after it
  // fires, call poll(0ms) until it returns nullopt).
  int notificationFd() const;

 private:
  // Reads one multipart message if one is waiting and turns it into events.
  // Returns false if nothing was waiting.
  bool receiveOne();
  void enqueue(std::variant<BusMessage, Malformed> decoded);

  zmq::socket_t socket_;
  SequenceTracker tracker_;
  std::deque<BusEvent> pending_;  // events decoded but not yet returned
  BusStats stats_;
};

}  // namespace triad::brokers
