// One bus (DESIGN §1): a ZeroMQ XSUB/XPUB proxy. Publishers connect their PUB
// sockets to the XSUB endpoint; subscribers connect their SUB sockets to the
// XPUB endpoint; subscriptions flow upstream, messages downstream. The proxy
// keeps nothing: a message that cannot be queued is dropped (the bus is a
// doorbell, DESIGN §4), and a broker restart loses only what was in flight.
//
// The proxy runs zmq::proxy_steerable on a thread of its own. The two bound
// sockets are created and bound by start() and from then on used only by
// that thread; the owner talks to it over an inproc PAIR control socket
// (TERMINATE, STATISTICS), which belongs to the thread that called start().
//
// Thread-safety: statistics(), stop() and the destructor must be called on
// the thread that called start().

#pragma once

#include <zmq.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "brokers/bus_curve.h"

namespace triad::brokers {

// Why a proxy could not start, in words an operator can act on.
struct BusProxyError {
  std::string message;
};

class BusProxy {
  struct Key {  // only start() can make one, so only start() constructs a BusProxy
    explicit Key() = default;
  };

 public:
  // Per-socket queue bound on both sides of the proxy: messages from all
  // publishers waiting to be read (XSUB), and messages waiting for each one
  // subscriber (XPUB; one slow subscriber drops its own messages, never
  // another's). A memory bound sized like BusPublisher's: a few seconds of
  // burst at benchmark rates, after which subscribers see gaps and catch up
  // from the replicas.
  static constexpr int kDefaultHighWaterMark = 100'000;

  struct Options {
    int highWaterMark = kDefaultHighWaterMark;
    // CURVE on both endpoints (bus_curve.h): only the allowed clients get in.
    // The proxy then runs the context's ZAP handler, so a context can hold
    // only one CURVE proxy.
    std::optional<CurveServer> curve;
    BusAuthenticator::RefusalFn onRefused;  // each client refused, if set
  };

  // Counters kept by ZeroMQ's proxy since start(). ZeroMQ 4.3 counts whole
  // messages (a bus message, topic and envelope, counts once) and their bytes;
  // later ZeroMQ versions count frames. The frontend is the XSUB side
  // (publishers), the backend the XPUB side (subscribers).
  struct Statistics {
    uint64_t messagesFromPublishers = 0;  // frontend received
    uint64_t bytesFromPublishers = 0;
    uint64_t subscriptionsToPublishers = 0;  // frontend sent
    uint64_t subscriptionBytesToPublishers = 0;
    uint64_t subscriptionsFromSubscribers = 0;  // backend received
    uint64_t subscriptionBytesFromSubscribers = 0;
    uint64_t messagesToSubscribers = 0;  // backend sent
    uint64_t bytesToSubscribers = 0;
  };

  // Binds the XSUB socket on `publishEndpoint` and the XPUB socket on
  // `subscribeEndpoint` (e.g. "tcp://127.2.0.1:7100"; a port of "*" picks a
  // free one, see the *Endpoint() accessors) and starts forwarding.
  [[nodiscard]] static std::variant<std::unique_ptr<BusProxy>, BusProxyError> start(
      zmq::context_t& context, const std::string& publishEndpoint,
      const std::string& subscribeEndpoint, Options options);
  [[nodiscard]] static std::variant<std::unique_ptr<BusProxy>, BusProxyError> start(
      zmq::context_t& context, const std::string& publishEndpoint,
      const std::string& subscribeEndpoint) {
    return start(context, publishEndpoint, subscribeEndpoint, Options());
  }

  BusProxy(Key, zmq::context_t& context, Options options);  // for start() only
  ~BusProxy();                                              // stop()
  BusProxy(const BusProxy&) = delete;
  BusProxy& operator=(const BusProxy&) = delete;

  // The endpoints as bound, with the actual port.
  const std::string& publishEndpoint() const { return publishEndpoint_; }
  const std::string& subscribeEndpoint() const { return subscribeEndpoint_; }

  // Asks the proxy thread for its counters; nullopt if it has stopped or does
  // not answer within a second.
  [[nodiscard]] std::optional<Statistics> statistics();

  // Clients refused by CURVE since start() (0 without CURVE).
  uint64_t curveRefusals() const { return authenticator_ ? authenticator_->refused() : 0; }

  // Tells the proxy thread to TERMINATE and joins it. Idempotent.
  void stop();

 private:
  void run();

  // First, so that it outlives the sockets whose handshakes it answers.
  std::unique_ptr<BusAuthenticator> authenticator_;
  zmq::socket_t frontend_;  // XSUB, used by thread_ only once it runs
  zmq::socket_t backend_;   // XPUB, used by thread_ only once it runs
  zmq::socket_t control_;   // PAIR, the proxy thread's end
  zmq::socket_t steering_;  // PAIR, the owner's end
  std::string publishEndpoint_;
  std::string subscribeEndpoint_;
  std::thread thread_;
};

}  // namespace triad::brokers
