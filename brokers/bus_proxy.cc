#include "brokers/bus_proxy.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "brokers/socket_liveness.h"

namespace triad::brokers {
namespace {

constexpr std::chrono::milliseconds kStatisticsTimeout{1000};

std::string controlEndpoint(const void* proxy) {
  char name[64];
  std::snprintf(name, sizeof(name), "inproc://triad-bus-proxy-%p", proxy);
  return name;
}

}  // namespace

BusProxy::BusProxy(Key, zmq::context_t& context, Options options)
    : frontend_(context, zmq::socket_type::xsub),
      backend_(context, zmq::socket_type::xpub),
      control_(context, zmq::socket_type::pair),
      steering_(context, zmq::socket_type::pair) {
  frontend_.set(zmq::sockopt::rcvhwm, options.highWaterMark);
  backend_.set(zmq::sockopt::sndhwm, options.highWaterMark);
  for (zmq::socket_t* socket : {&frontend_, &backend_, &control_, &steering_}) {
    // Nothing a broker holds is worth delaying its exit for.
    socket->set(zmq::sockopt::linger, 0);
  }
  // Also frees the queue of a subscriber that vanished without closing.
  enableHeartbeats(frontend_);
  enableHeartbeats(backend_);
  if (options.curve) {
    authenticator_ = std::make_unique<BusAuthenticator>(context, options.curve->allowedClients,
                                                        std::move(options.onRefused));
    applyCurve(frontend_, *options.curve);
    applyCurve(backend_, *options.curve);
  }
}

std::variant<std::unique_ptr<BusProxy>, BusProxyError> BusProxy::start(
    zmq::context_t& context, const std::string& publishEndpoint,
    const std::string& subscribeEndpoint, Options options) {
  auto proxy = std::make_unique<BusProxy>(Key(), context, options);
  try {
    proxy->frontend_.bind(publishEndpoint);
  } catch (const zmq::error_t& e) {
    return BusProxyError{"cannot bind the bus's publish (XSUB) endpoint " + publishEndpoint + ": " +
                         e.what()};
  }
  try {
    proxy->backend_.bind(subscribeEndpoint);
  } catch (const zmq::error_t& e) {
    return BusProxyError{"cannot bind the bus's subscribe (XPUB) endpoint " + subscribeEndpoint +
                         ": " + e.what()};
  }
  proxy->publishEndpoint_ = proxy->frontend_.get(zmq::sockopt::last_endpoint);
  proxy->subscribeEndpoint_ = proxy->backend_.get(zmq::sockopt::last_endpoint);
  const std::string control = controlEndpoint(proxy.get());
  proxy->control_.bind(control);
  proxy->steering_.connect(control);
  // Starting the thread is the memory barrier that hands the sockets over.
  proxy->thread_ = std::thread([raw = proxy.get()] { raw->run(); });
  return proxy;
}

BusProxy::~BusProxy() { stop(); }

void BusProxy::run() {
  try {
    zmq::proxy_steerable(frontend_, backend_, zmq::socket_ref(), control_);
  } catch (const zmq::error_t&) {
    // ETERM: the context is being shut down; there is nothing left to forward.
  }
}

std::optional<BusProxy::Statistics> BusProxy::statistics() {
  if (!thread_.joinable()) return std::nullopt;
  constexpr std::string_view kCommand = "STATISTICS";
  if (!steering_.send(zmq::buffer(kCommand), zmq::send_flags::dontwait)) return std::nullopt;
  std::array<uint64_t, 8> values{};
  for (size_t i = 0; i < values.size(); ++i) {
    zmq::pollitem_t item{steering_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kStatisticsTimeout) == 0) return std::nullopt;
    zmq::message_t frame;
    if (!steering_.recv(frame, zmq::recv_flags::dontwait) || frame.size() != sizeof(uint64_t)) {
      return std::nullopt;
    }
    std::memcpy(&values[i], frame.data(), sizeof(uint64_t));
  }
  return Statistics{values[0], values[1], values[2], values[3],
                    values[4], values[5], values[6], values[7]};
}

void BusProxy::stop() {
  if (!thread_.joinable()) return;
  constexpr std::string_view kCommand = "TERMINATE";
  try {
    (void)steering_.send(zmq::buffer(kCommand), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // ETERM: the proxy thread is returning from proxy_steerable by itself.
  }
  thread_.join();
}

}  // namespace triad::brokers
