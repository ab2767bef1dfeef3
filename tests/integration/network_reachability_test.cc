// From a customer's machine, only what faces customers can be reached (issue
// 7, Security; DESIGN §1). Every host is a network namespace made by the test
// (tests/integration/netns_deployment.h): "cust" sits on the customer-facing
// network only. From there the customer utilities' Gateways and the customer
// bus accept connections, and a Gateway logs a customer in; Admin,
// replication, the firm bus and FIX do not, neither on the firm-side
// addresses (no route) nor on the customer-facing addresses of the hosts that
// have one (nothing listens there). From the operator's place on the
// firm-side network the same Admin ports answer, so the refusals are the
// network's doing, not dead daemons. A second case shows why the hosts on
// both networks also need a host filter (docs/decisions.md).
//
// Processes: both brokers, triad-exchanged, triad-firmd, triad-customerd
// (cf1, cf2) and triad-streetd (ss1), each through `ip netns exec`.

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/netns_deployment.h"
#include "tests/support/customer_session.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::NetnsLab;
using testing::tryConnect;

struct Target {
  std::string what;
  std::string address;
  uint16_t port;
};

class NetworkReachabilityTest : public ::testing::Test {
 protected:
  ~NetworkReachabilityTest() noexcept override {}

  void TearDown() override {
    admin_.reset();
    for (const char* id : {"cf1", "cf2", "ss1", "firm"}) {
      net_.deployment.process(id).kill(SIGTERM);
      EXPECT_EQ(net_.deployment.process(id).wait(60s), 0) << id << "\n" << net_.deployment.log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer", "xtst"}) {
      net_.deployment.process(id).kill(SIGTERM);
      net_.deployment.process(id).wait(30s);
    }
  }

  void startAll() {
    testing::Deployment& deployment = net_.deployment;
    deployment.startBroker("firm");
    deployment.startBroker("customer");
    deployment.startExchange("xtst");
    deployment.start("utilities/firm/triad-firmd", "firm");
    deployment.start("utilities/customer/triad-customerd", "cf1");
    deployment.start("utilities/customer/triad-customerd", "cf2");
    deployment.start("utilities/street/triad-streetd", "ss1");
  }

  // The operator, on the firm-side network, sees every site ready.
  void waitReady() {
    for (const char* id : {"firm", "cf1", "cf2", "ss1"}) {
      std::string lastError;
      admin_ = testing::connectWhenReady(io_, net_.deployment.site(id), 120s, &lastError);
      ASSERT_NE(admin_, nullptr) << id << ": " << lastError << "\n" << net_.deployment.log(id);
    }
  }

  testing::NamespacedDeployment net_{{.customers = {"cf1", "cf2"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::unique_ptr<testing::AdminConnection> admin_;
};

TEST_F(NetworkReachabilityTest, ACustomerReachesGatewaysAndTheCustomerBusOnly) {
  testing::Deployment& deployment = net_.deployment;
  startAll();
  NetnsLab::Inside atOperator(net_.lab, "hub");
  ASSERT_NO_FATAL_FAILURE(waitReady());
  {
    testing::AdminConnection firm(io_, deployment.site("firm"));
    testing::openFundedAccount(firm, "alice", 1'000);
    // cf2 authenticates alice from its replica of the firm's group.
    testing::AdminConnection cf2(io_, deployment.site("cf2"));
    ASSERT_NO_FATAL_FAILURE(testing::waitForFirmReplicas(firm, {&cf2}));
  }
  // The `ip netns exec` the test started is the daemon itself (it execs), so
  // signals reach the daemon.
  for (const char* id : {"cf1", "firm", "bus-firm"}) {
    std::ifstream in("/proc/" + std::to_string(deployment.process(id).pid()) + "/comm");
    std::string name;
    std::getline(in, name);
    EXPECT_TRUE(name.starts_with("triad-")) << id << " runs as " << name;
  }

  const topology::Topology& topology = deployment.topology();
  std::vector<Target> open;
  std::vector<Target> closed;
  for (const topology::Utility& site : topology.utilities()) {
    std::vector<std::string> addresses{site.firmAddress};
    if (site.customerAddress) {
      open.push_back({site.id + " Gateway", *site.customerAddress, site.gatewayPort});
      addresses.push_back(*site.customerAddress);
    }
    for (const std::string& address : addresses) {
      closed.push_back({site.id + " Admin", address, site.adminPort});
      closed.push_back({site.id + " replication", address, site.replicationPort});
    }
  }
  for (const topology::Broker& broker : topology.brokers()) {
    const bool customerBus = broker.address != broker.firmAddress;
    auto& list = customerBus ? open : closed;
    list.push_back({broker.id + " publish", broker.address, broker.publishPort});
    list.push_back({broker.id + " subscribe", broker.address, broker.subscribePort});
    closed.push_back({broker.id + " Admin", broker.firmAddress, broker.adminPort});
    if (customerBus) closed.push_back({broker.id + " Admin", broker.address, broker.adminPort});
  }
  for (const topology::Exchange& exchange : topology.exchanges()) {
    closed.push_back({exchange.id + " FIX", exchange.firmAddress, exchange.fixPort});
  }

  // From the operator's place every firm-side endpoint answers (but the
  // brokers' Admin: triad-brokerd reserves its admin-port and serves nothing
  // there yet), so what the customer cannot reach is there.
  for (const Target& target : closed) {
    if (!target.address.starts_with("10.77.2.") ||
        (target.what.starts_with("bus-") && target.what.ends_with(" Admin"))) {
      continue;
    }
    std::string result;
    for (int attempt = 0;
         attempt < 100 && (result = tryConnect(target.address, target.port)) != "connected";
         ++attempt) {
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(result, "connected") << "from the operator: " << target.what;
  }

  {
    NetnsLab::Inside atCustomer(net_.lab, "cust");
    for (const Target& target : open) {
      EXPECT_EQ(tryConnect(target.address, target.port), "connected")
          << "from the customer network: " << target.what << " at " << target.address << ":"
          << target.port;
    }
    for (const Target& target : closed) {
      const auto started = std::chrono::steady_clock::now();
      const std::string result = tryConnect(target.address, target.port);
      EXPECT_NE(result, "connected") << "from the customer network: " << target.what << " at "
                                     << target.address << ":" << target.port;
      EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms) << target.what;
      // No route to the firm side; nothing listening on the customer side.
      EXPECT_EQ(result, target.address.starts_with("10.77.2.") ? "unreachable" : "refused")
          << target.what << " at " << target.address << ":" << target.port;
    }
    // And a customer logs in through a Gateway, from its own machine.
    testing::GatewayConnection gateway(io_, deployment.site("cf2"));
    auto loggedIn = gateway.login("alice", "alice-secret");
    EXPECT_TRUE(std::holds_alternative<idl::Session::Client>(loggedIn))
        << std::get<std::string>(loggedIn);
  }
  std::printf("checked from the customer network: %zu endpoints open, %zu closed\n", open.size(),
              closed.size());
}

// Binding to firm-side addresses is not enough on a host that is on both
// networks: Linux accepts a packet for any of its addresses on any interface
// (the weak host model), so a machine on the customer-facing segment that
// routes the firm-side network through cf1's customer address reaches cf1's
// Admin. The host filter of docs/decisions.md (nft on the dual-homed hosts:
// from the customer-facing interface, only the host's customer-facing
// address) closes it.
TEST_F(NetworkReachabilityTest, ARouteThroughAGatewayHostNeedsItsHostFilter) {
  testing::Deployment& deployment = net_.deployment;
  startAll();
  NetnsLab::Inside atOperator(net_.lab, "hub");
  ASSERT_NO_FATAL_FAILURE(waitReady());
  const topology::Utility& cf1 = deployment.site("cf1");
  net_.lab.exec(
      "cust", {testing::ipProgram(), "route", "add", "10.77.2.0/24", "via", *cf1.customerAddress});
  auto fromCustomer = [&](const std::string& address, uint16_t port) {
    NetnsLab::Inside atCustomer(net_.lab, "cust");
    return tryConnect(address, port);
  };
  EXPECT_EQ(fromCustomer(cf1.firmAddress, cf1.adminPort), "connected")
      << "the weak host model no longer lets this through: revisit the host filter";

  net_.lab.nft("cf1",
               "table inet triad_host {\n"
               "  chain in { type filter hook input priority 0; policy accept;\n"
               "    iifname \"c0\" ip daddr != " +
                   *cf1.customerAddress + " drop; }\n}\n");
  const std::string filtered = fromCustomer(cf1.firmAddress, cf1.adminPort);
  EXPECT_EQ(filtered, "timeout") << "dropped by the host filter";
  EXPECT_EQ(fromCustomer(*cf1.customerAddress, cf1.gatewayPort), "connected");
  EXPECT_EQ(tryConnect(cf1.firmAddress, cf1.adminPort), "connected") << "from the operator";
}

}  // namespace
}  // namespace triad
