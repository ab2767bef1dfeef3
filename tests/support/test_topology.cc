#include "tests/support/test_topology.h"

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "tests/support/free_port.h"

namespace triad::testing {

std::string makeTestTopology(const TestTopologyOptions& options) {
  std::mt19937 random(std::random_device{}());
  const int net = std::uniform_int_distribution<int>(1, 250)(random);
  const bool probe = !options.firmAddress;
  std::function<std::string(int)> firmSide = options.firmAddress;
  std::function<std::string(int)> customerSide = options.customerAddress;
  if (probe) {
    firmSide = [net](int host) {
      return "127.2." + std::to_string(net) + "." + std::to_string(host);
    };
    customerSide = [net](int host) {
      return "127.1." + std::to_string(net) + "." + std::to_string(host);
    };
  }
  // Distinct free ports per address: two calls may otherwise return one port.
  // Unprobed ports are drawn under the ephemeral range (from 32768).
  std::map<std::string, std::set<uint16_t>> taken;
  std::uniform_int_distribution<int> anyPort(20000, 32000);
  auto port = [&](const std::string& host) {
    for (;;) {
      uint16_t candidate = probe ? freePort(host) : static_cast<uint16_t>(anyPort(random));
      if (taken[host].insert(candidate).second) return std::to_string(candidate);
    }
  };

  std::ostringstream out;
  out << "[network]\ncustomer-facing = " << options.customerNetwork
      << "\nfirm-side = " << options.firmNetwork << "\n\n";
  int index = 0;
  int host = 1;
  for (const std::string& id : options.customers) {
    out << "[" << id << "]\nrole = customer\ngroup-index = " << index++
        << "\ncustomer-address = " << customerSide(host) << "\nfirm-address = " << firmSide(host)
        << "\ngateway-port = " << port(customerSide(host))
        << "\nadmin-port = " << port(firmSide(host))
        << "\nreplication-port = " << port(firmSide(host)) << "\n\n";
    ++host;
  }
  for (const std::string& id : options.streets) {
    out << "[" << id << "]\nrole = street\ngroup-index = " << index++
        << "\nfirm-address = " << firmSide(host) << "\nadmin-port = " << port(firmSide(host))
        << "\nreplication-port = " << port(firmSide(host)) << "\nvenue = xtst\n\n";
    ++host;
  }
  out << "[firm]\nrole = firm\ngroup-index = " << index << "\nfirm-address = " << firmSide(host)
      << "\nadmin-port = " << port(firmSide(host))
      << "\nreplication-port = " << port(firmSide(host)) << "\n\n";
  out << "[bus-customer]\nrole = broker\nbus = customer\naddress = " << customerSide(250)
      << "\npublish-port = " << port(customerSide(250))
      << "\nsubscribe-port = " << port(customerSide(250)) << "\nfirm-address = " << firmSide(250)
      << "\nadmin-port = " << port(firmSide(250)) << "\n\n";
  out << "[bus-firm]\nrole = broker\nbus = firm\naddress = " << firmSide(251)
      << "\npublish-port = " << port(firmSide(251)) << "\nsubscribe-port = " << port(firmSide(251))
      << "\nfirm-address = " << firmSide(251) << "\nadmin-port = " << port(firmSide(251)) << "\n\n";
  out << "[xtst]\nrole = exchange\nfirm-address = " << firmSide(41)
      << "\nfix-port = " << port(firmSide(41)) << "\nfix-version = FIX.4.4"
      << "\nposs-resend = " << (options.venueHonoursPossResend ? "honoured" : "ignored")
      << "\norder-status-request = "
      << (options.venueAnswersStatusRequests ? "supported" : "unsupported")
      << "\nanswer-timeout = " << options.venueAnswerTimeoutSeconds << "\n";
  return out.str();
}

}  // namespace triad::testing
