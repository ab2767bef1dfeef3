// The bus end to end in one process: publishers and subscribers over real TCP
// on 127.0.0.1, through a real BusProxy on its own thread, on ports the
// kernel picks.
//
// ZeroMQ's slow joiner: a subscription reaches a publisher some time after
// subscribe(), and what is published before then is dropped. Tests never
// sleep for it: they publish probes on a topic under the subscribed prefix
// until one arrives, which proves the subscription is in place; every later
// message from that publisher then arrives in order over the same TCP path.

#include <gtest/gtest.h>

#include <zmq.hpp>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "brokers/bus_proxy.h"
#include "brokers/bus_publisher.h"
#include "brokers/bus_subscriber.h"
#include "brokers/bus_wire.h"

namespace triad::brokers {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kProbeSuffix = ".probe";
constexpr std::chrono::milliseconds kEventTimeout = 10s;

bool isProbeTopic(std::string_view topic) { return topic.ends_with(kProbeSuffix); }

// Probe messages, and gaps or duplicates in probe streams (probes published
// before the subscription arrived were dropped), are not what a test checks.
bool isAboutProbes(const BusEvent& event) {
  if (const auto* message = std::get_if<BusMessage>(&event)) return isProbeTopic(message->topic());
  if (const auto* gap = std::get_if<Gap>(&event)) return isProbeTopic(gap->topic);
  if (const auto* duplicate = std::get_if<Duplicate>(&event)) {
    return isProbeTopic(duplicate->topic);
  }
  return false;
}

std::string describe(const BusEvent& event) {
  std::ostringstream out;
  if (const auto* message = std::get_if<BusMessage>(&event)) {
    out << "BusMessage{" << message->topic() << " from " << message->origin() << " incarnation "
        << message->incarnation() << " sequence " << message->sequence() << "}";
  } else if (const auto* gap = std::get_if<Gap>(&event)) {
    out << "Gap{" << gap->origin << " " << gap->topic << " expected " << gap->expected
        << " received " << gap->received << "}";
  } else if (const auto* duplicate = std::get_if<Duplicate>(&event)) {
    out << "Duplicate{" << duplicate->origin << " " << duplicate->topic << " "
        << duplicate->sequence << "}";
  } else if (const auto* restarted = std::get_if<PublisherRestarted>(&event)) {
    out << "PublisherRestarted{" << restarted->origin << " " << restarted->oldIncarnation << " -> "
        << restarted->newIncarnation << "}";
  } else {
    out << "Malformed{" << std::get<Malformed>(event).reason << "}";
  }
  return out.str();
}

// The next event that is not about probes; nullopt after kEventTimeout.
std::optional<BusEvent> nextEvent(BusSubscriber& subscriber) {
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<BusEvent> event = subscriber.poll(100ms);
    if (event && !isAboutProbes(*event)) return event;
  }
  return std::nullopt;
}

// Calls `probe` (which publishes one message on a "*.probe" topic) until the
// subscriber receives a probe. Returns the other events seen meanwhile.
std::vector<BusEvent> awaitSubscription(BusSubscriber& subscriber,
                                        const std::function<void()>& probe) {
  std::vector<BusEvent> seen;
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    probe();
    while (std::optional<BusEvent> event = subscriber.poll(20ms)) {
      if (const auto* message = std::get_if<BusMessage>(&*event);
          message != nullptr && isProbeTopic(message->topic())) {
        return seen;
      }
      if (!isAboutProbes(*event)) seen.push_back(std::move(*event));
    }
  }
  ADD_FAILURE() << "no probe reached the subscriber in " << kEventTimeout.count() << " ms";
  return seen;
}

// The message `event` must be; a test that gets anything else fails.
BusMessage expectMessage(std::optional<BusEvent> event) {
  if (!event) throw std::runtime_error("no event arrived in time");
  auto* message = std::get_if<BusMessage>(&*event);
  if (message == nullptr) throw std::runtime_error("expected a message, got " + describe(*event));
  return std::move(*message);
}

void fillHeartbeat(idl::Envelope::Record::Builder record) { record.initHeartbeat(); }

void fillOrder(idl::Order::Builder order, int index) {
  order.setId("cf1-" + std::to_string(100000000 + index).substr(1));
  order.setAccount("acct-7");
  order.setClientOrderId("client-" + std::to_string(index));
  order.setSymbol("ACME");
  order.setSide(index % 2 == 0 ? idl::Side::BUY : idl::Side::SELL);
  order.setType(idl::OrderType::LIMIT);
  order.setTimeInForce(idl::TimeInForce::DAY);
  order.setQuantity(100 + index);
  order.setLimitPriceMicros(12'340'000 + index);
  order.setCurrency("USD");
  order.setStreet("ss1");
  order.setVenue("XNYS");
  order.setPlacedAtNanos(1'700'000'000'000'000'000 + index);
}

// A PUB socket that puts arbitrary frames on the bus: envelopes with chosen
// sequence numbers, and frames that are not envelopes at all.
class RawPublisher {
 public:
  RawPublisher(zmq::context_t& context, const std::string& endpoint)
      : socket_(context, zmq::socket_type::pub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void sendFrames(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      (void)socket_.send(zmq::buffer(frames[i]),
                         i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  static std::string envelope(std::string_view topic, EnvelopeStamp stamp,
                              RecordFiller fill = fillHeartbeat) {
    kj::Array<capnp::word> words = encodeEnvelope(topic, stamp, fill);
    kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
    return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }

  void send(std::string_view topic, const EnvelopeStamp& stamp) {
    sendFrames({std::string(topic), envelope(topic, stamp)});
  }

 private:
  zmq::socket_t socket_;
};

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BusProxy::start(context_, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    if (auto* error = std::get_if<BusProxyError>(&started)) FAIL() << error->message;
    proxy_ = std::move(std::get<std::unique_ptr<BusProxy>>(started));
  }

  BusPublisher::Options withIncarnation(uint64_t incarnation) {
    BusPublisher::Options options;
    options.incarnation = incarnation;
    return options;
  }

  zmq::context_t context_;
  std::unique_ptr<BusProxy> proxy_;
};

TEST_F(BusTest, MessagesArriveInOrderWithTheirFullRecords) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  BusPublisher publisher(context_, proxy_->publishEndpoint(), "cf1", withIncarnation(77));
  EXPECT_TRUE(
      awaitSubscription(subscriber, [&] { publisher.publish("t.probe", fillHeartbeat); }).empty());

  constexpr int kOrders = 500;
  for (int i = 1; i <= kOrders; ++i) {
    const uint64_t sequence = publisher.publish(
        "t.order.ss1",
        [&](idl::Envelope::Record::Builder record) { fillOrder(record.initOrder(), i); });
    ASSERT_EQ(sequence, static_cast<uint64_t>(i));
  }
  for (int i = 1; i <= kOrders; ++i) {
    const BusMessage message = expectMessage(nextEvent(subscriber));
    EXPECT_EQ(message.topic(), "t.order.ss1");
    EXPECT_EQ(message.origin(), "cf1");
    EXPECT_EQ(message.incarnation(), 77u);
    ASSERT_EQ(message.sequence(), static_cast<uint64_t>(i));
    const idl::Envelope::Reader envelope = message.envelope();
    EXPECT_EQ(envelope.getTopic(), "t.order.ss1");
    EXPECT_GT(envelope.getSentAtNanos(), 0);
    ASSERT_EQ(envelope.getRecord().which(), idl::Envelope::Record::ORDER);

    capnp::MallocMessageBuilder expected;
    fillOrder(expected.initRoot<idl::Order>(), i);
    const idl::Order::Reader want = expected.getRoot<idl::Order>().asReader();
    const idl::Order::Reader got = envelope.getRecord().getOrder();
    EXPECT_EQ(got.getId(), want.getId());
    EXPECT_EQ(got.getClientOrderId(), want.getClientOrderId());
    EXPECT_EQ(got.getSide(), want.getSide());
    EXPECT_EQ(got.getQuantity(), want.getQuantity());
    EXPECT_EQ(got.getLimitPriceMicros(), want.getLimitPriceMicros());
    EXPECT_EQ(got.getPlacedAtNanos(), want.getPlacedAtNanos());
    EXPECT_EQ(got.getVenue(), "XNYS");
  }
  EXPECT_EQ(subscriber.stats().gaps, 0u);
  EXPECT_EQ(subscriber.stats().duplicates, 0u);
  EXPECT_EQ(subscriber.stats().restarts, 0u);
  EXPECT_EQ(subscriber.stats().malformed, 0u);
  EXPECT_GE(subscriber.stats().messages, static_cast<uint64_t>(kOrders));
  EXPECT_EQ(publisher.lastSequence("t.order.ss1"), static_cast<uint64_t>(kOrders));
}

TEST_F(BusTest, PrefixSubscriptionSeesWholeTopicStreamsWithoutFalseGaps) {
  // Regression: sequence numbers were once per publisher, so a subscriber to
  // some of a publisher's topics saw every message it had filtered out as a gap.
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.order.ss1");  // matches "t.order.ss10" too: prefixes are bytes
  BusPublisher publisher(context_, proxy_->publishEndpoint(), "cf2");
  EXPECT_TRUE(awaitSubscription(subscriber, [&] {
                publisher.publish("t.order.ss1.probe", fillHeartbeat);
              }).empty());

  for (int round = 0; round < 20; ++round) {
    for (const char* topic : {"t.order.ss1", "t.order.ss2", "t.order.ss10"}) {
      publisher.publish(topic, [&](idl::Envelope::Record::Builder record) {
        fillOrder(record.initOrder(), round);
      });
    }
  }
  uint64_t nextSs1 = 1, nextSs10 = 1;
  for (int i = 0; i < 40; ++i) {
    const BusMessage message = expectMessage(nextEvent(subscriber));
    ASSERT_NE(message.topic(), "t.order.ss2");
    uint64_t& next = message.topic() == "t.order.ss1" ? nextSs1 : nextSs10;
    EXPECT_EQ(message.sequence(), next++);
  }
  EXPECT_EQ(nextSs1, 21u);
  EXPECT_EQ(nextSs10, 21u);
  EXPECT_EQ(subscriber.stats().gaps, 0u);
}

TEST_F(BusTest, GapIsReportedWithTheMissingRangeAndTheMessageStillDelivered) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  RawPublisher raw(context_, proxy_->publishEndpoint());
  uint64_t probes = 0;
  EXPECT_TRUE(awaitSubscription(subscriber, [&] {
                raw.send("t.probe", {"ss9", 5, ++probes, 1});
              }).empty());

  for (uint64_t sequence : {1, 2, 5, 6}) raw.send("t.execution", {"ss9", 5, sequence, 1});

  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 1u);
  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 2u);
  const std::optional<BusEvent> gap = nextEvent(subscriber);
  ASSERT_TRUE(gap);
  ASSERT_TRUE(std::holds_alternative<Gap>(*gap)) << describe(*gap);
  EXPECT_EQ(std::get<Gap>(*gap), (Gap{"ss9", "t.execution", 3, 5}));
  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 5u);
  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 6u);
  EXPECT_EQ(subscriber.stats().gaps, 1u);
  EXPECT_EQ(subscriber.stats().missed, 2u);
}

TEST_F(BusTest, ASubscriberPastTheHighWaterMarksSeesGapsNeverASilentLoss) {
  // Small queues at the broker and in the subscriber, and a subscriber that
  // does not read while a flood goes by: ZeroMQ drops what does not fit.
  zmq::context_t context;
  BusProxy::Options small;
  small.highWaterMark = 16;
  auto started = BusProxy::start(context, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", small);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<BusProxy>>(started));
  std::unique_ptr<BusProxy>& proxy = std::get<std::unique_ptr<BusProxy>>(started);
  BusSubscriber::Options tiny;
  tiny.receiveHighWaterMark = 16;
  BusSubscriber subscriber(context, proxy->subscribeEndpoint(), tiny);
  subscriber.subscribe("o.");
  BusPublisher publisher(context, proxy->publishEndpoint(), "cf1");
  EXPECT_TRUE(
      awaitSubscription(subscriber, [&] { publisher.publish("o.probe", fillHeartbeat); }).empty());

  constexpr uint64_t kFlood = 20'000;
  for (uint64_t i = 0; i < kFlood; ++i) publisher.publish("o.flood", fillHeartbeat);
  // Read what got through; then one more, so that a loss at the very end
  // shows as a gap too.
  auto drain = [&](uint64_t& received, uint64_t& missed, uint64_t& last) {
    while (std::optional<BusEvent> event = subscriber.poll(500ms)) {
      if (auto* message = std::get_if<BusMessage>(&*event)) {
        if (message->topic() != "o.flood") continue;
        ++received;
        EXPECT_GT(message->sequence(), last) << "out of order";
        last = message->sequence();
      } else if (auto* gap = std::get_if<Gap>(&*event); gap != nullptr && gap->topic == "o.flood") {
        missed += gap->missed();
      }
    }
  };
  uint64_t received = 0, missed = 0, last = 0;
  drain(received, missed, last);
  publisher.publish("o.flood", fillHeartbeat);
  drain(received, missed, last);

  EXPECT_GT(missed, 0u) << "the flood fit in the queues: the high-water marks were not reached";
  EXPECT_EQ(last, kFlood + 1) << "the last message did not arrive";
  // Every message was either delivered or reported missing (with the first
  // of the topic, sequence 1, delivered or counted from it).
  EXPECT_EQ(received + missed, kFlood + 1);
}

TEST_F(BusTest, DuplicateIsReportedAndDropped) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  RawPublisher raw(context_, proxy_->publishEndpoint());
  uint64_t probes = 0;
  EXPECT_TRUE(awaitSubscription(subscriber, [&] {
                raw.send("t.probe", {"ss9", 5, ++probes, 1});
              }).empty());

  for (uint64_t sequence : {1, 2, 2, 3, 1}) raw.send("t.execution", {"ss9", 5, sequence, 1});

  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 1u);
  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 2u);
  std::optional<BusEvent> duplicate = nextEvent(subscriber);
  ASSERT_TRUE(duplicate);
  ASSERT_TRUE(std::holds_alternative<Duplicate>(*duplicate)) << describe(*duplicate);
  EXPECT_EQ(std::get<Duplicate>(*duplicate), (Duplicate{"ss9", "t.execution", 2}));
  EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 3u);
  duplicate = nextEvent(subscriber);
  ASSERT_TRUE(duplicate);
  ASSERT_TRUE(std::holds_alternative<Duplicate>(*duplicate)) << describe(*duplicate);
  EXPECT_EQ(std::get<Duplicate>(*duplicate), (Duplicate{"ss9", "t.execution", 1}));
  EXPECT_EQ(subscriber.stats().duplicates, 2u);
  EXPECT_EQ(subscriber.stats().gaps, 0u);
}

TEST_F(BusTest, PublisherRestartIsReported) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  {
    BusPublisher before(context_, proxy_->publishEndpoint(), "ss1", withIncarnation(100));
    EXPECT_TRUE(
        awaitSubscription(subscriber, [&] { before.publish("t.probe", fillHeartbeat); }).empty());
    before.publish("t.execution", fillHeartbeat);
    before.publish("t.execution", fillHeartbeat);
    EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 1u);
    EXPECT_EQ(expectMessage(nextEvent(subscriber)).sequence(), 2u);
  }
  BusPublisher after(context_, proxy_->publishEndpoint(), "ss1", withIncarnation(200));
  const std::vector<BusEvent> seen =
      awaitSubscription(subscriber, [&] { after.publish("t.probe", fillHeartbeat); });
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<PublisherRestarted>(seen[0])) << describe(seen[0]);
  EXPECT_EQ(std::get<PublisherRestarted>(seen[0]), (PublisherRestarted{"ss1", 100, 200}));

  after.publish("t.execution", fillHeartbeat);
  const BusMessage first = expectMessage(nextEvent(subscriber));
  EXPECT_EQ(first.incarnation(), 200u);
  EXPECT_EQ(first.sequence(), 1u);
  EXPECT_EQ(subscriber.stats().restarts, 1u);
  // No gap on "t.execution" (nextEvent would have returned it first). The new
  // incarnation's probe stream may well have one: probes published before its
  // connection was up were dropped.
}

TEST_F(BusTest, MalformedFramesAreReportedAndTheBusCarriesOn) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  RawPublisher raw(context_, proxy_->publishEndpoint());
  uint64_t probes = 0;
  EXPECT_TRUE(awaitSubscription(subscriber, [&] {
                raw.send("t.probe", {"ss9", 5, ++probes, 1});
              }).empty());

  const std::string valid = RawPublisher::envelope("t.bad", {"ss9", 5, 1, 1});
  std::string truncated = valid.substr(0, valid.size() / 2);
  truncated.resize(truncated.size() / 8 * 8);
  std::string rootOutOfBounds = valid;
  const uint64_t farStructPointer =
      (uint64_t{100000} << 2) | (uint64_t{1} << 32) | (uint64_t{1} << 48);
  std::memcpy(rootOutOfBounds.data() + 8, &farStructPointer, sizeof(farStructPointer));
  std::string deepTextWithoutNul = RawPublisher::envelope(
      "t.bad", {"ss9", 5, 1, 1},
      [](idl::Envelope::Record::Builder record) { record.initOrder().setId("deep-record-id"); });
  const size_t idAt = deepTextWithoutNul.find(std::string("deep-record-id\0", 15));
  ASSERT_NE(idAt, std::string::npos);
  deepTextWithoutNul[idAt + 14] = '!';

  struct Case {
    std::vector<std::string> frames;
    std::string reasonMentions;
  };
  const std::vector<Case> cases = {
      {{"t.bad", "not an envelope"}, "whole number"},
      {{"t.bad", ""}, "empty"},
      {{"t.bad", std::string(16, '\0')}, ""},
      {{"t.bad"}, "1 frames"},
      {{"t.bad", valid, "extra"}, "3 frames"},
      {{"t.bad", truncated}, "does not decode"},
      {{"t.bad", rootOutOfBounds}, "does not decode"},
      {{"t.bad", deepTextWithoutNul}, "does not decode"},
      {{"t.bad", valid + std::string(8, '\0')}, "after the end"},
      {{"t.bad", RawPublisher::envelope("t.elsewhere", {"ss9", 5, 1, 1})}, "t.elsewhere"},
      {{"t.bad", RawPublisher::envelope("t.bad", {"ss9", 5, 0, 1})}, "sequence 0"},
      {{"t.bad", RawPublisher::envelope("t.bad", {"", 5, 1, 1})}, "no origin"},
  };
  for (const Case& c : cases) raw.sendFrames(c.frames);
  raw.send("t.good", {"ss9", 5, 1, 1});

  for (size_t i = 0; i < cases.size(); ++i) {
    const std::optional<BusEvent> event = nextEvent(subscriber);
    ASSERT_TRUE(event) << "case " << i;
    ASSERT_TRUE(std::holds_alternative<Malformed>(*event))
        << "case " << i << ": " << describe(*event);
    EXPECT_NE(std::get<Malformed>(*event).reason.find(cases[i].reasonMentions), std::string::npos)
        << "case " << i << ": " << std::get<Malformed>(*event).reason;
  }
  const BusMessage good = expectMessage(nextEvent(subscriber));
  EXPECT_EQ(good.topic(), "t.good");
  EXPECT_EQ(subscriber.stats().malformed, cases.size());
}

TEST_F(BusTest, HeartbeatsGoOnEveryTopicWithItsNextSequence) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  BusPublisher publisher(context_, proxy_->publishEndpoint(), "ss2");
  EXPECT_TRUE(
      awaitSubscription(subscriber, [&] { publisher.publish("t.probe", fillHeartbeat); }).empty());
  for (int i = 0; i < 3; ++i) publisher.publish("t.route", fillHeartbeat);
  publisher.publish("t.reject", fillHeartbeat);
  for (int i = 0; i < 4; ++i) (void)expectMessage(nextEvent(subscriber));

  publisher.publishHeartbeats(42);
  std::map<std::string, uint64_t> heartbeatSequenceByTopic;
  for (int i = 0; i < 2; ++i) {  // the probe topic's heartbeat is skipped as a probe
    const BusMessage message = expectMessage(nextEvent(subscriber));
    const idl::Heartbeat::Reader heartbeat = message.envelope().getRecord().getHeartbeat();
    EXPECT_EQ(heartbeat.getCommitSequence(), 42u);
    EXPECT_EQ(heartbeat.getLastSequence() + 1, message.sequence());
    heartbeatSequenceByTopic[message.topic()] = message.sequence();
  }
  EXPECT_EQ(heartbeatSequenceByTopic,
            (std::map<std::string, uint64_t>{{"t.reject", 2}, {"t.route", 4}}));
  EXPECT_EQ(subscriber.stats().gaps, 0u);
}

TEST_F(BusTest, ProxyCountsTheMessagesItForwards) {
  BusSubscriber subscriber(context_, proxy_->subscribeEndpoint());
  subscriber.subscribe("t.");
  BusPublisher publisher(context_, proxy_->publishEndpoint(), "cf1");
  EXPECT_TRUE(
      awaitSubscription(subscriber, [&] { publisher.publish("t.probe", fillHeartbeat); }).empty());
  for (int i = 0; i < 10; ++i) publisher.publish("t.heartbeat", fillHeartbeat);
  for (int i = 0; i < 10; ++i) (void)expectMessage(nextEvent(subscriber));

  const std::optional<BusProxy::Statistics> statistics = proxy_->statistics();
  ASSERT_TRUE(statistics);
  // At least the probe and the heartbeats that arrived.
  EXPECT_GE(statistics->messagesFromPublishers, 1u + 10u);
  EXPECT_GE(statistics->messagesToSubscribers, 1u + 10u);
  EXPECT_GT(statistics->bytesToSubscribers, statistics->messagesToSubscribers);
  EXPECT_GE(statistics->subscriptionsFromSubscribers, 1u);
}

TEST_F(BusTest, SecondProxyOnABoundEndpointIsRefusedWithAReason) {
  auto second = BusProxy::start(context_, proxy_->publishEndpoint(), "tcp://127.0.0.1:*");
  ASSERT_TRUE(std::holds_alternative<BusProxyError>(second));
  const std::string& message = std::get<BusProxyError>(second).message;
  EXPECT_NE(message.find(proxy_->publishEndpoint()), std::string::npos) << message;
  EXPECT_NE(message.find("in use"), std::string::npos) << message;
}

TEST_F(BusTest, StopTerminatesTheProxyThreadAndIsIdempotent) {
  proxy_->stop();
  proxy_->stop();
  EXPECT_FALSE(proxy_->statistics());
}

}  // namespace
}  // namespace triad::brokers
