// Where every daemon listens (issue 7, Security; DESIGN §1): Admin,
// replication, the firm bus and FIX only on firm-side addresses; on the
// customer-facing network only the customer utilities' Gateways and the
// customer bus; nothing on a wildcard address. Read from the kernel's table
// of listening sockets (/proc/net/tcp, /proc/net/tcp6), matched to the
// started daemons through their file descriptors, so it checks what was
// bound, not what the topology says.
//
// Processes: both brokers, triad-exchanged, triad-firmd, triad-customerd
// (cf1) and triad-streetd (ss1).

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/deployment.h"

namespace triad {
namespace {

using namespace std::chrono_literals;

struct Endpoint {
  std::string address;  // "127.2.9.1", or an IPv6 text
  uint16_t port;
  auto operator<=>(const Endpoint&) const = default;
};

std::string toString(const Endpoint& endpoint) {
  return endpoint.address + ":" + std::to_string(endpoint.port);
}

// The socket inodes `pid` holds open.
std::set<uint64_t> socketInodes(pid_t pid) {
  std::set<uint64_t> inodes;
  std::error_code error;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(fds, error)) {
    const std::string target = std::filesystem::read_symlink(fd.path(), error).string();
    if (!error && target.rfind("socket:[", 0) == 0) {
      inodes.insert(std::stoull(target.substr(8, target.size() - 9)));
    }
  }
  return inodes;
}

// Listening TCP sockets (state 0A) by inode, from /proc/net/tcp or tcp6.
std::map<uint64_t, Endpoint> listeningSockets(const std::string& table, bool v6) {
  std::map<uint64_t, Endpoint> sockets;
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    uint64_t inode = 0;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (state != "0A") continue;
    const size_t colon = local.find(':');
    const std::string hex = local.substr(0, colon);
    const auto port = static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
    std::string address;
    if (!v6) {
      // The address is printed as the host-order value of its network-order bytes.
      const uint32_t raw = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
      address = std::to_string(raw & 0xff) + "." + std::to_string((raw >> 8) & 0xff) + "." +
                std::to_string((raw >> 16) & 0xff) + "." + std::to_string(raw >> 24);
    } else {
      address = "[" + hex + "]";  // any IPv6 listener is a finding: its text is enough
    }
    sockets[inode] = {address, port};
  }
  return sockets;
}

class ListeningAddressesTest : public ::testing::Test {
 protected:
  ~ListeningAddressesTest() noexcept override {}

  void TearDown() override {
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer", "xtst"}) {
      deployment_.process(id).kill(SIGTERM);
      deployment_.process(id).wait(30s);
    }
  }

  // Every listening endpoint of the started processes, with its owner.
  std::map<Endpoint, std::string> listening() {
    std::map<uint64_t, Endpoint> sockets = listeningSockets("/proc/net/tcp", false);
    for (auto& [inode, endpoint] : listeningSockets("/proc/net/tcp6", true)) {
      sockets[inode] = endpoint;
    }
    std::map<Endpoint, std::string> found;
    std::vector<std::pair<std::string, pid_t>> processes;
    for (const char* id : {"bus-firm", "bus-customer", "xtst", "firm", "cf1", "ss1"}) {
      processes.emplace_back(id, deployment_.process(id).pid());
    }
    for (const auto& [id, pid] : processes) {
      for (uint64_t inode : socketInodes(pid)) {
        auto socket = sockets.find(inode);
        if (socket != sockets.end()) found[socket->second] = id;
      }
    }
    return found;
  }

  testing::Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
};

TEST_F(ListeningAddressesTest, OnlyGatewaysAndTheCustomerBusFaceCustomers) {
  deployment_.startBroker("firm");
  deployment_.startBroker("customer");
  deployment_.startExchange("xtst");
  deployment_.start("utilities/firm/triad-firmd", "firm");
  deployment_.start("utilities/customer/triad-customerd", "cf1");
  deployment_.start("utilities/street/triad-streetd", "ss1");

  // What the topology says each listens on, and which of it faces customers.
  const topology::Topology& topology = deployment_.topology();
  std::set<Endpoint> expected;
  std::set<Endpoint> customerFacing;
  for (const topology::Utility& utility : topology.utilities()) {
    expected.insert({utility.firmAddress, utility.adminPort});
    expected.insert({utility.firmAddress, utility.replicationPort});
    if (utility.customerAddress) {
      expected.insert({*utility.customerAddress, utility.gatewayPort});
      customerFacing.insert({*utility.customerAddress, utility.gatewayPort});
    }
  }
  for (const topology::Broker& broker : topology.brokers()) {
    expected.insert({broker.address, broker.publishPort});
    expected.insert({broker.address, broker.subscribePort});
    // (triad-brokerd serves no Admin yet: its admin-port is reserved, and a
    // listener there would still have to be firm-side, as checked below.)
    if (broker.bus == topology::Bus::kCustomer) {
      customerFacing.insert({broker.address, broker.publishPort});
      customerFacing.insert({broker.address, broker.subscribePort});
    }
  }
  for (const topology::Exchange& exchange : topology.exchanges()) {
    expected.insert({exchange.firmAddress, exchange.fixPort});
  }

  // Until everything the topology names is listening (start-up takes a while).
  std::map<Endpoint, std::string> found;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  auto missing = [&] {
    std::vector<std::string> absent;
    for (const Endpoint& endpoint : expected) {
      if (!found.count(endpoint)) absent.push_back(toString(endpoint));
    }
    return absent;
  };
  while (true) {
    found = listening();
    if (missing().empty() || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(200ms);
  }
  for (const std::string& absent : missing()) ADD_FAILURE() << "nothing listens on " << absent;

  // Every listener: firm-side, or one of the customer-facing endpoints.
  for (const auto& [endpoint, owner] : found) {
    SCOPED_TRACE(owner + " listens on " + toString(endpoint));
    EXPECT_NE(endpoint.address, "0.0.0.0") << "a wildcard address reaches every network";
    EXPECT_NE(endpoint.address.front(), '[') << "an IPv6 listener";
    if (customerFacing.count(endpoint)) {
      EXPECT_TRUE(topology.customerFacing().contains(endpoint.address));
    } else {
      EXPECT_TRUE(topology.firmSide().contains(endpoint.address))
          << "only Gateways and the customer bus may listen outside the firm-side network";
    }
  }
  EXPECT_GE(found.size(), expected.size());
}

}  // namespace
}  // namespace triad
