#include "brokers/bus_subscriber.h"

#include <cerrno>
#include <utility>
#include <vector>

#include "brokers/socket_liveness.h"

namespace triad::brokers {
namespace {

// Topics in reasons are bytes from the network: keep them short and printable.
std::string printable(std::string_view bytes) {
  constexpr size_t kMaxShown = 80;
  std::string shown;
  for (char c : bytes.substr(0, kMaxShown)) {
    shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (bytes.size() > kMaxShown) shown += "...";
  return shown;
}

}  // namespace

BusSubscriber::BusSubscriber(zmq::context_t& context, const std::string& endpoint, Options options)
    : socket_(context, zmq::socket_type::sub) {
  socket_.set(zmq::sockopt::rcvhwm, options.receiveHighWaterMark);
  // Nothing worth flushing on close: only subscriptions travel upstream.
  socket_.set(zmq::sockopt::linger, 0);
  enableHeartbeats(socket_);
  if (options.curve) applyCurve(socket_, *options.curve);
  socket_.connect(endpoint);
}

void BusSubscriber::subscribe(std::string_view topicPrefix) {
  socket_.set(zmq::sockopt::subscribe, topicPrefix);
  tracker_.subscriptionAdded();
}

void BusSubscriber::unsubscribe(std::string_view topicPrefix) {
  socket_.set(zmq::sockopt::unsubscribe, topicPrefix);
}

std::optional<BusEvent> BusSubscriber::poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pending_.empty()) {
    try {
      if (receiveOne()) continue;
      const auto remaining =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (remaining <= std::chrono::milliseconds::zero()) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      (void)zmq::poll(&item, 1, remaining);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;  // a signal: keep waiting until the deadline
      return std::nullopt;             // ETERM: the context is shutting down
    }
  }
  BusEvent event = std::move(pending_.front());
  pending_.pop_front();
  return event;
}

int BusSubscriber::notificationFd() const { return socket_.get(zmq::sockopt::fd); }

bool BusSubscriber::receiveOne() {
  std::vector<zmq::message_t> frames(1);
  if (!socket_.recv(frames[0], zmq::recv_flags::dontwait)) return false;
  // ZeroMQ delivers a multipart message whole: the other frames are here.
  while (frames.back().more()) {
    frames.emplace_back();
    (void)socket_.recv(frames.back(), zmq::recv_flags::none);
  }
  const std::string_view topic = frames[0].to_string_view();
  if (frames.size() != 2) {
    enqueue(Malformed{"message on topic '" + printable(topic) + "' has " +
                      std::to_string(frames.size()) + " frames, expected 2 (topic, envelope)"});
    return true;
  }
  enqueue(decodeEnvelope(
      topic, kj::ArrayPtr<const kj::byte>(frames[1].data<kj::byte>(), frames[1].size())));
  return true;
}

void BusSubscriber::enqueue(std::variant<BusMessage, Malformed> decoded) {
  if (Malformed* malformed = std::get_if<Malformed>(&decoded)) {
    ++stats_.malformed;
    pending_.emplace_back(std::move(*malformed));
    return;
  }
  BusMessage& message = std::get<BusMessage>(decoded);
  SequenceTracker::Verdict verdict = tracker_.observe(message.origin(), message.topic(),
                                                      message.incarnation(), message.sequence());
  if (verdict.restarted) {
    ++stats_.restarts;
    pending_.emplace_back(std::move(*verdict.restarted));
  }
  if (verdict.gap) {
    ++stats_.gaps;
    stats_.missed += verdict.gap->missed();
    pending_.emplace_back(std::move(*verdict.gap));
  }
  if (verdict.duplicate) {
    ++stats_.duplicates;
    pending_.emplace_back(std::move(*verdict.duplicate));
    return;
  }
  ++stats_.messages;
  pending_.emplace_back(std::move(message));
}

}  // namespace triad::brokers
