#include "brokers/bus_publisher.h"

#include <kj/debug.h>

#include <chrono>
#include <vector>

#include "brokers/socket_liveness.h"

namespace triad::brokers {
namespace {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BusPublisher::BusPublisher(zmq::context_t& context, const std::string& endpoint, std::string origin,
                           Options options)
    : socket_(context, zmq::socket_type::pub),
      origin_(std::move(origin)),
      incarnation_(options.incarnation.value_or(static_cast<uint64_t>(nowNanos()))) {
  KJ_REQUIRE(!origin_.empty(), "a bus publisher needs its utility's id as origin");
  socket_.set(zmq::sockopt::sndhwm, options.sendHighWaterMark);
  socket_.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
  // While the broker is unreachable, drop rather than queue for a later
  // reconnection: a stale doorbell only costs the subscribers a duplicate,
  // while a dropped one is a gap they see at the next message or heartbeat
  // and recover from the replicas, at once.
  socket_.set(zmq::sockopt::immediate, true);
  enableHeartbeats(socket_);
  if (options.curve) applyCurve(socket_, *options.curve);
  socket_.connect(endpoint);
}

uint64_t BusPublisher::publish(std::string_view topic, RecordFiller fill) {
  auto stream = lastSequenceByTopic_.find(topic);
  if (stream == lastSequenceByTopic_.end()) {
    stream = lastSequenceByTopic_.emplace(std::string(topic), 0).first;
  }
  const uint64_t sequence = ++stream->second;
  const kj::Array<capnp::word> words =
      encodeEnvelope(topic, EnvelopeStamp{origin_, incarnation_, sequence, nowNanos()}, fill);
  const kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
  // A PUB socket never blocks: at the high-water mark, or with no subscriber,
  // ZeroMQ drops the message. dontwait only makes that explicit.
  (void)socket_.send(zmq::buffer(topic.data(), topic.size()),
                     zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  (void)socket_.send(zmq::buffer(bytes.begin(), bytes.size()), zmq::send_flags::dontwait);
  ++published_;
  return sequence;
}

void BusPublisher::publishHeartbeats(uint64_t commitSequence) {
  std::vector<std::string> topics;
  topics.reserve(lastSequenceByTopic_.size());
  for (const auto& [topic, last] : lastSequenceByTopic_) topics.push_back(topic);
  for (const std::string& topic : topics) {
    const uint64_t last = lastSequence(topic);
    publish(topic, [&](idl::Envelope::Record::Builder record) {
      idl::Heartbeat::Builder heartbeat = record.initHeartbeat();
      heartbeat.setLastSequence(last);
      heartbeat.setCommitSequence(commitSequence);
    });
  }
}

uint64_t BusPublisher::lastSequence(std::string_view topic) const {
  auto stream = lastSequenceByTopic_.find(topic);
  return stream == lastSequenceByTopic_.end() ? 0 : stream->second;
}

}  // namespace triad::brokers
