// A test deployment whose hosts are network namespaces (issue 7): every
// site, broker and the exchange in its own namespace, joined by veth pairs
// to two bridges in a "hub" namespace, one per network of DESIGN §1:
//
//   customer-facing 10.77.1.0/24  (brc): customer utilities' Gateways, the
//                                        customer bus, and "cust", a
//                                        customer's machine (10.77.1.200)
//   firm-side       10.77.2.0/24  (brf): everything else
//
// The hub does not forward between them. The test itself (the operator)
// sits in the hub, with 10.77.1.254 and 10.77.2.254 on the bridges. Host
// numbers are those of tests/support/test_topology.h.

#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/deployment.h"
#include "tests/support/netns.h"

namespace triad::testing {

inline constexpr const char* kOperatorCustomerSide = "10.77.1.254";
inline constexpr const char* kOperatorFirmSide = "10.77.2.254";
inline constexpr const char* kCustomerMachine = "10.77.1.200";

inline TestTopologyOptions inNamespaces(TestTopologyOptions options) {
  options.customerAddress = [](int host) { return "10.77.1." + std::to_string(host); };
  options.firmAddress = [](int host) { return "10.77.2." + std::to_string(host); };
  options.customerNetwork = "10.77.1.0/24";
  options.firmNetwork = "10.77.2.0/24";
  return options;
}

// The namespaces (made first, removed last) and the deployment in them.
struct NamespacedDeployment {
  explicit NamespacedDeployment(const TestTopologyOptions& options)
      : deployment(inNamespaces(options)) {
    lab.add("hub");
    lab.addBridge("hub", "brc");
    lab.addBridge("hub", "brf");
    lab.addAddress("hub", "brc", std::string(kOperatorCustomerSide) + "/24");
    lab.addAddress("hub", "brf", std::string(kOperatorFirmSide) + "/24");
    const topology::Topology& topology = deployment.topology();
    for (const topology::Utility& site : topology.utilities()) {
      addHost(site.id, site.customerAddress.value_or(""), site.firmAddress);
    }
    for (const topology::Broker& broker : topology.brokers()) {
      const bool customerBus = broker.address != broker.firmAddress;
      addHost(broker.id, customerBus ? broker.address : "", broker.firmAddress);
    }
    for (const topology::Exchange& exchange : topology.exchanges()) {
      addHost(exchange.id, "", exchange.firmAddress);
    }
    lab.add("cust");
    lab.link("cust", "c0", std::string(kCustomerMachine) + "/24", "hub", "custc", "brc");
  }

  // Host `id` (a site, "bus-firm", "xtst"...): namespace `id`, where its
  // process runs, with an interface on each network it has an address on.
  void addHost(const std::string& id, const std::string& customerAddress,
               const std::string& firmAddress) {
    lab.add(id);
    if (!customerAddress.empty())
      lab.link(id, "c0", customerAddress + "/24", "hub", id + "c", "brc");
    lab.link(id, "f0", firmAddress + "/24", "hub", id + "f", "brf");
    deployment.placeIn(id, lab.full(id));
  }

  NetnsLab lab;  // declared first: removed after every process has been killed
  Deployment deployment;
};

// What a TCP connect to address:port from the calling thread's namespace
// gives within `timeout`: "connected", "refused", "unreachable" or "timeout".
inline std::string tryConnect(const std::string& address, uint16_t port,
                              std::chrono::milliseconds timeout = std::chrono::seconds(1)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + strerror(errno);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &to.sin_addr);
  int error = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd waiting{fd, POLLOUT, 0};
      if (::poll(&waiting, 1, static_cast<int>(timeout.count())) == 0) {
        ::close(fd);
        return "timeout";
      }
      socklen_t length = sizeof error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
  }
  ::close(fd);
  switch (error) {
    case 0:
      return "connected";
    case ECONNREFUSED:
      return "refused";
    case ENETUNREACH:
    case EHOSTUNREACH:
      return "unreachable";
    default:
      return strerror(error);
  }
}

}  // namespace triad::testing
