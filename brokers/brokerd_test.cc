// triad-brokerd as a process: it reads a topology, binds its bus only on that
// bus's address, carries messages between a publisher and a subscriber, and
// stops cleanly on SIGTERM and SIGINT. Every address is on the loopback
// ranges of the two networks, every port is picked free, and every process
// is reaped by ChildProcess even when an assertion fails.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <zmq.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <variant>

#include "brokers/bus_publisher.h"
#include "brokers/bus_subscriber.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace triad::brokers {
namespace {

using namespace std::chrono_literals;
using triad::testing::ChildProcess;

constexpr std::chrono::milliseconds kTimeout = 10s;

// Addresses of one test's brokers, spread by pid so that concurrent runs of
// this test do not compete for the same address and port.
struct Deployment {
  Deployment() {
    const std::string subnet = std::to_string(getpid() % 250 + 1);
    customerBusAddress = "127.1." + subnet + ".250";
    firmBusAddress = "127.2." + subnet + ".250";
    firmAddress = "127.2." + subnet + ".10";
    customerPublishPort = port(customerBusAddress);
    customerSubscribePort = port(customerBusAddress);
    firmPublishPort = port(firmBusAddress);
    firmSubscribePort = port(firmBusAddress);
    customerBusAdminPort = port(firmBusAddress);
    firmBusAdminPort = port(firmBusAddress);
    firmAdminPort = port(firmAddress);
    firmReplicationPort = port(firmAddress);
  }

  // A free port on `address` that this deployment does not use yet.
  uint16_t port(const std::string& address) {
    for (;;) {
      const uint16_t candidate = testing::freePort(address);
      if (used.insert(address + ":" + std::to_string(candidate)).second) return candidate;
    }
  }

  std::string topology() const {
    std::ostringstream out;
    out << "[network]\n"
        << "customer-facing = 127.1.0.0/16\n"
        << "firm-side = 127.2.0.0/16\n"
        << "\n[firm]\nrole = firm\ngroup-index = 0\n"
        << "firm-address = " << firmAddress << "\n"
        << "admin-port = " << firmAdminPort << "\n"
        << "replication-port = " << firmReplicationPort << "\n"
        << "\n[bus-customer]\nrole = broker\nbus = customer\n"
        << "address = " << customerBusAddress << "\n"
        << "publish-port = " << customerPublishPort << "\n"
        << "subscribe-port = " << customerSubscribePort << "\n"
        << "firm-address = " << firmBusAddress << "\n"
        << "admin-port = " << customerBusAdminPort << "\n"
        << "\n[bus-firm]\nrole = broker\nbus = firm\n"
        << "address = " << firmBusAddress << "\n"
        << "publish-port = " << firmPublishPort << "\n"
        << "subscribe-port = " << firmSubscribePort << "\n"
        << "firm-address = " << firmBusAddress << "\n"
        << "admin-port = " << firmBusAdminPort << "\n";
    return out.str();
  }

  std::string customerBusAddress, firmBusAddress, firmAddress;
  uint16_t customerPublishPort, customerSubscribePort, firmPublishPort, firmSubscribePort;
  uint16_t customerBusAdminPort, firmBusAdminPort, firmAdminPort, firmReplicationPort;
  std::set<std::string> used;  // "address:port" already given out
};

std::string endpoint(const std::string& address, uint16_t port) {
  return "tcp://" + address + ":" + std::to_string(port);
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// True if something accepts TCP connections on address:port.
bool listening(const std::string& address, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &peer.sin_addr);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0;
  ::close(fd);
  return connected;
}

class BrokerdTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(directory_ / "topology.conf") << deployment_.topology(); }

  std::unique_ptr<ChildProcess> startBrokerd(const std::string& bus,
                                             std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments{"--topology", (directory_ / "topology.conf").string(),
                                       "--bus", bus};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(testing::builtProgram("brokers/triad-brokerd"), arguments,
                                          (directory_ / "brokerd.stderr").string());
  }

  // Publishes heartbeats on "t.probe" until the subscriber receives one, then
  // one execution on "t.execution", and expects it back, sequence 1.
  void expectCarried(const std::string& publishEndpoint, const std::string& subscribeEndpoint,
                     std::optional<CurveClient> curve = std::nullopt) {
    BusSubscriber subscriber(context_, subscribeEndpoint, {.curve = curve});
    subscriber.subscribe("t.");
    BusPublisher::Options publishing;
    publishing.curve = curve;
    BusPublisher publisher(context_, publishEndpoint, "ss1", publishing);
    auto heartbeat = [](idl::Envelope::Record::Builder record) { record.initHeartbeat(); };
    bool subscribed = false;
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!subscribed && std::chrono::steady_clock::now() < deadline) {
      publisher.publish("t.probe", heartbeat);
      while (std::optional<BusEvent> event = subscriber.poll(20ms)) {
        if (std::holds_alternative<BusMessage>(*event)) subscribed = true;
      }
    }
    ASSERT_TRUE(subscribed) << "no probe came through triad-brokerd";

    publisher.publish("t.execution", [](idl::Envelope::Record::Builder record) {
      idl::Execution::Builder execution = record.initExecution();
      execution.setId("ss1-000004711");
      execution.setQuantity(300);
    });
    const auto until = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < until) {
      std::optional<BusEvent> event = subscriber.poll(100ms);
      if (!event) continue;
      const auto* message = std::get_if<BusMessage>(&*event);
      if (message == nullptr || message->topic() != "t.execution") continue;
      EXPECT_EQ(message->sequence(), 1u);
      EXPECT_EQ(message->origin(), "ss1");
      EXPECT_EQ(message->envelope().getRecord().getExecution().getId(), "ss1-000004711");
      EXPECT_EQ(message->envelope().getRecord().getExecution().getQuantity(), 300);
      return;
    }
    FAIL() << "the execution did not come through triad-brokerd";
  }

  testing::TempDir directory_;
  Deployment deployment_;
  zmq::context_t context_;
};

TEST_F(BrokerdTest, FirmBusCarriesMessagesAndStopsOnSigterm) {
  std::unique_ptr<ChildProcess> brokerd = startBrokerd("firm");
  const std::optional<std::string> started = brokerd->readLine(kTimeout);
  ASSERT_TRUE(started) << readFile(directory_ / "brokerd.stderr");
  const std::string xsub = endpoint(deployment_.firmBusAddress, deployment_.firmPublishPort);
  const std::string xpub = endpoint(deployment_.firmBusAddress, deployment_.firmSubscribePort);
  EXPECT_EQ(*started, "triad-brokerd bus=firm xsub=" + xsub + " xpub=" + xpub + " id=bus-firm");

  expectCarried(xsub, xpub);

  brokerd->kill(SIGTERM);
  EXPECT_EQ(brokerd->wait(kTimeout), 0) << readFile(directory_ / "brokerd.stderr");
  const std::optional<std::string> stopped = brokerd->readLine(kTimeout);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->rfind("triad-brokerd bus=firm stopped signal=SIGTERM", 0), 0u) << *stopped;
}

TEST_F(BrokerdTest, CustomerBusListensOnlyOnItsCustomerFacingAddressAndStopsOnSigint) {
  std::unique_ptr<ChildProcess> brokerd = startBrokerd("customer");
  const std::optional<std::string> started = brokerd->readLine(kTimeout);
  ASSERT_TRUE(started) << readFile(directory_ / "brokerd.stderr");
  const std::string xsub =
      endpoint(deployment_.customerBusAddress, deployment_.customerPublishPort);
  const std::string xpub =
      endpoint(deployment_.customerBusAddress, deployment_.customerSubscribePort);
  EXPECT_EQ(*started,
            "triad-brokerd bus=customer xsub=" + xsub + " xpub=" + xpub + " id=bus-customer");

  EXPECT_TRUE(listening(deployment_.customerBusAddress, deployment_.customerPublishPort));
  EXPECT_TRUE(listening(deployment_.customerBusAddress, deployment_.customerSubscribePort));
  // Not on the firm-side network: neither on this deployment's firm-side
  // address nor on every address (0.0.0.0), which would include it.
  EXPECT_FALSE(listening(deployment_.firmBusAddress, deployment_.customerPublishPort));
  EXPECT_FALSE(listening(deployment_.firmBusAddress, deployment_.customerSubscribePort));

  expectCarried(xsub, xpub);

  brokerd->kill(SIGINT);
  EXPECT_EQ(brokerd->wait(kTimeout), 0) << readFile(directory_ / "brokerd.stderr");
}

TEST_F(BrokerdTest, FirmBusUnderCurveCarriesKnownKeysAndAlarmsOnAStranger) {
  const std::filesystem::path keys = directory_ / "bus-keys";
  for (const char* name : {"firm-bus", "ss1", "cf1"}) {
    ASSERT_TRUE(std::holds_alternative<bool>(ensureCurveKeyPair(keys, name))) << name;
  }
  std::unique_ptr<ChildProcess> brokerd = startBrokerd("firm", {"--bus-keys", keys.string()});
  const std::optional<std::string> started = brokerd->readLine(kTimeout);
  ASSERT_TRUE(started) << readFile(directory_ / "brokerd.stderr");
  EXPECT_TRUE(started->ends_with(" id=bus-firm curve_clients=2")) << *started;
  const std::string xsub = endpoint(deployment_.firmBusAddress, deployment_.firmPublishPort);
  const std::string xpub = endpoint(deployment_.firmBusAddress, deployment_.firmSubscribePort);

  expectCarried(xsub, xpub, std::get<CurveClient>(loadCurveClient(keys, "firm-bus", "ss1")));

  // A stranger who knows the bus's public key, but whose key the broker
  // was not given: refused, with an ALARM naming its key.
  const std::filesystem::path strangerKeys = directory_ / "stranger-keys";
  ASSERT_TRUE(std::holds_alternative<bool>(ensureCurveKeyPair(strangerKeys, "intruder")));
  std::filesystem::copy_file(keys / "firm-bus.public", strangerKeys / "firm-bus.public");
  const CurveClient stranger =
      std::get<CurveClient>(loadCurveClient(strangerKeys, "firm-bus", "intruder"));
  {
    BusSubscriber intruder(context_, xpub, {.curve = stranger});
    intruder.subscribe("t.");
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (readFile(directory_ / "brokerd.stderr").find("ALARM curve-client-refused") ==
               std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      EXPECT_FALSE(intruder.poll(50ms).has_value()) << "a refused subscriber received something";
    }
  }
  const std::string stderrText = readFile(directory_ / "brokerd.stderr");
  EXPECT_NE(stderrText.find("ALARM curve-client-refused peer="), std::string::npos) << stderrText;
  EXPECT_NE(stderrText.find(" key=" + stranger.own.publicKey), std::string::npos) << stderrText;

  brokerd->kill(SIGTERM);
  EXPECT_EQ(brokerd->wait(kTimeout), 0) << readFile(directory_ / "brokerd.stderr");
  const std::optional<std::string> stopped = brokerd->readLine(kTimeout);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->find(" curve_refused=0"), std::string::npos) << *stopped;
}

TEST_F(BrokerdTest, RefusesAMissingCurveKeyFolderNamingTheFile) {
  std::unique_ptr<ChildProcess> brokerd =
      startBrokerd("firm", {"--bus-keys", (directory_ / "nowhere").string()});
  EXPECT_EQ(brokerd->wait(kTimeout), 1);
  EXPECT_NE(readFile(directory_ / "brokerd.stderr").find("nowhere/firm-bus.secret"),
            std::string::npos)
      << readFile(directory_ / "brokerd.stderr");
}

TEST_F(BrokerdTest, RefusesABadTopologyNamingTheLine) {
  std::ofstream(directory_ / "topology.conf")
      << deployment_.topology() << "\n[bus-extra]\nrole = broker\nbus = sideways\n";
  std::unique_ptr<ChildProcess> brokerd = startBrokerd("firm");
  EXPECT_EQ(brokerd->wait(kTimeout), 1);
  const std::string errors = readFile(directory_ / "brokerd.stderr");
  // "<file>:<line>: <fault>"
  const size_t at = errors.find("topology.conf:");
  ASSERT_NE(at, std::string::npos) << errors;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(errors[at + 14]))) << errors;
  EXPECT_NE(errors.find("sideways"), std::string::npos) << errors;
}

TEST_F(BrokerdTest, RefusesAnUnknownBus) {
  std::unique_ptr<ChildProcess> brokerd = startBrokerd("street");
  EXPECT_EQ(brokerd->wait(kTimeout), 2);
  const std::string errors = readFile(directory_ / "brokerd.stderr");
  EXPECT_NE(errors.find("--bus must be customer or firm"), std::string::npos) << errors;
}

TEST_F(BrokerdTest, ReportsAnEndpointAlreadyInUse) {
  std::unique_ptr<ChildProcess> first = startBrokerd("firm");
  ASSERT_TRUE(first->readLine(kTimeout)) << readFile(directory_ / "brokerd.stderr");
  std::unique_ptr<ChildProcess> second = startBrokerd("firm");
  EXPECT_EQ(second->wait(kTimeout), 1);
  const std::string errors = readFile(directory_ / "brokerd.stderr");
  EXPECT_NE(errors.find("cannot bind"), std::string::npos) << errors;
  first->kill(SIGTERM);
  EXPECT_EQ(first->wait(kTimeout), 0);
}

}  // namespace
}  // namespace triad::brokers
