// CURVE on a bus: key files as triad-bus-keys makes them, and a real BusProxy
// serving CURVE over TCP on 127.0.0.1 to real publishers and subscribers,
// some admitted and some not.

#include "brokers/bus_curve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <variant>

#include "brokers/bus_proxy.h"
#include "brokers/bus_publisher.h"
#include "brokers/bus_subscriber.h"
#include "tests/support/temp_dir.h"

namespace triad::brokers {
namespace {

using namespace std::chrono_literals;

template <typename T>
T must(std::variant<T, CurveError> result) {
  if (auto* error = std::get_if<CurveError>(&result)) {
    ADD_FAILURE() << error->message;
    return T();
  }
  return std::get<T>(std::move(result));
}

template <typename T>
std::string refusal(std::variant<T, CurveError> result) {
  if (auto* error = std::get_if<CurveError>(&result)) return error->message;
  ADD_FAILURE() << "expected a CurveError";
  return {};
}

// Messages (not probes, heartbeats or sequence events) the subscriber gets
// within `window`.
int messagesWithin(BusSubscriber& subscriber, std::chrono::milliseconds window) {
  int messages = 0;
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::optional<BusEvent> event = subscriber.poll(20ms)) {
      if (std::holds_alternative<BusMessage>(*event)) ++messages;
    }
  }
  return messages;
}

void fillHeartbeat(idl::Envelope::Record::Builder record) { record.initHeartbeat(); }

TEST(BusCurveKeys, AreMadeOnceWithAPrivateSecretAndLoadedByBrokerAndClient) {
  ASSERT_TRUE(curveAvailable()) << "Debian's libzmq is built with CURVE";
  testing::TempDir dir;
  for (const char* name : {"firm-bus", "cf1", "ss1"}) {
    EXPECT_TRUE(must(ensureCurveKeyPair(dir.path(), name))) << name;
  }
  const std::string before = [&] {
    std::ifstream in(dir.path() / "cf1.secret");
    std::string key;
    in >> key;
    return key;
  }();
  EXPECT_FALSE(must(ensureCurveKeyPair(dir.path(), "cf1")));  // kept, not replaced
  struct stat secret {};
  ASSERT_EQ(::stat((dir.path() / "cf1.secret").c_str(), &secret), 0);
  EXPECT_EQ(secret.st_mode & 0777, 0600u);

  CurveServer server = must(loadCurveServer(dir.path(), "firm-bus"));
  EXPECT_EQ(server.allowedClients.size(), 2u);  // cf1 and ss1, not the bus itself
  CurveClient client = must(loadCurveClient(dir.path(), "firm-bus", "cf1"));
  EXPECT_EQ(client.serverPublicKey, server.own.publicKey);
  EXPECT_EQ(client.own.secretKey, before);
  EXPECT_EQ(server.allowedClients.count(client.own.publicKey), 1u);

  // What an operator gets wrong is named.
  EXPECT_NE(refusal(loadCurveClient(dir.path(), "firm-bus", "cf9")).find("cf9.secret"),
            std::string::npos);
  std::ofstream(dir.path() / "ss2.public") << "not-a-key\n";
  EXPECT_NE(refusal(loadCurveServer(dir.path(), "firm-bus")).find("ss2.public"), std::string::npos);
  testing::TempDir lonely;
  ASSERT_TRUE(must(ensureCurveKeyPair(lonely.path(), "firm-bus")));
  EXPECT_NE(refusal(loadCurveServer(lonely.path(), "firm-bus")).find("admit nobody"),
            std::string::npos);
}

class BusCurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"firm-bus", "cf1", "ss1"})
      must(ensureCurveKeyPair(keys_.path(), name));
    // A stranger knows the bus's public key but was never given to the broker.
    must(ensureCurveKeyPair(strangerKeys_.path(), "stranger"));
    std::filesystem::copy_file(keys_.path() / "firm-bus.public",
                               strangerKeys_.path() / "firm-bus.public");

    BusProxy::Options options;
    options.curve = must(loadCurveServer(keys_.path(), "firm-bus"));
    auto started = BusProxy::start(context_, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", options);
    if (auto* error = std::get_if<BusProxyError>(&started)) FAIL() << error->message;
    proxy_ = std::move(std::get<std::unique_ptr<BusProxy>>(started));
  }

  CurveClient keysOf(const testing::TempDir& folder, const char* name) {
    return must(loadCurveClient(folder.path(), "firm-bus", name));
  }

  std::unique_ptr<BusSubscriber> subscriber(std::optional<CurveClient> curve) {
    BusSubscriber::Options options;
    options.curve = std::move(curve);
    auto made = std::make_unique<BusSubscriber>(context_, proxy_->subscribeEndpoint(), options);
    made->subscribe("order.");
    return made;
  }

  std::unique_ptr<BusPublisher> publisher(const std::string& origin,
                                          std::optional<CurveClient> curve) {
    BusPublisher::Options options;
    options.curve = std::move(curve);
    return std::make_unique<BusPublisher>(context_, proxy_->publishEndpoint(), origin, options);
  }

  testing::TempDir keys_;
  testing::TempDir strangerKeys_;
  zmq::context_t context_;
  std::unique_ptr<BusProxy> proxy_;
};

TEST_F(BusCurveTest, OnlyAdmittedClientsPublishOrReceive) {
  auto admitted = subscriber(keysOf(keys_, "ss1"));
  auto stranger = subscriber(keysOf(strangerKeys_, "stranger"));
  auto plaintext = subscriber(std::nullopt);
  auto cf1 = publisher("cf1", keysOf(keys_, "cf1"));
  auto intruder = publisher("stranger", keysOf(strangerKeys_, "stranger"));
  auto plainIntruder = publisher("plain", std::nullopt);

  // The admitted pair works: publish until the subscription is in place.
  bool delivered = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!delivered && std::chrono::steady_clock::now() < deadline) {
    cf1->publish("order.ss1", fillHeartbeat);
    delivered = messagesWithin(*admitted, 50ms) > 0;
  }
  ASSERT_TRUE(delivered) << "an admitted publisher never reached an admitted subscriber";

  // Everything after goes to the admitted subscriber alone; the intruders'
  // messages go nowhere.
  for (int i = 0; i < 20; ++i) {
    cf1->publish("order.ss1", fillHeartbeat);
    intruder->publish("order.ss1", fillHeartbeat);
    plainIntruder->publish("order.ss1", fillHeartbeat);
  }
  int fromCf1 = 0;
  const auto end = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < end) {
    if (std::optional<BusEvent> event = admitted->poll(20ms)) {
      if (auto* message = std::get_if<BusMessage>(&*event)) {
        EXPECT_EQ(message->origin(), "cf1") << "a refused publisher got through";
        ++fromCf1;
      }
    }
  }
  EXPECT_GE(fromCf1, 20);
  EXPECT_EQ(messagesWithin(*stranger, 200ms), 0);
  EXPECT_EQ(messagesWithin(*plaintext, 200ms), 0);
  // The stranger's two sockets were refused by the ZAP handler (ZeroMQ
  // retries, so at least once each); the plaintext ones fail the handshake
  // before ZAP is asked.
  EXPECT_GE(proxy_->curveRefusals(), 2u);
}

}  // namespace
}  // namespace triad::brokers
