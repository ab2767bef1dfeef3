#include "tests/integration/storage_cluster.h"

#include <signal.h>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>

#include "tests/support/free_port.h"

namespace triad::testing {

const std::vector<std::string>& StorageCluster::siteIds() {
  static const std::vector<std::string> ids = {"cf1", "ss1", "firm"};
  return ids;
}

StorageCluster::StorageCluster(Options options) : options_(options) {
  std::mt19937 random(std::random_device{}());
  const int net = std::uniform_int_distribution<int>(1, 250)(random);
  auto firmSide = [net](int host) {
    return "127.2." + std::to_string(net) + "." + std::to_string(host);
  };
  auto customerSide = [net](int host) {
    return "127.1." + std::to_string(net) + "." + std::to_string(host);
  };
  // Distinct free ports per address: two calls may otherwise return one port.
  std::map<std::string, std::set<uint16_t>> taken;
  auto port = [&taken](const std::string& host) {
    for (;;) {
      uint16_t candidate = freePort(host);
      if (taken[host].insert(candidate).second) return std::to_string(candidate);
    }
  };
  auto replicationBase = [](const std::string& host) {
    return std::to_string(freePortRange(host, 3));
  };

  std::ofstream out(topology_ = dir_ / "topology.conf");
  out << "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n\n";
  out << "[cf1]\nrole = customer\ngroup-index = 0\ncustomer-address = " << customerSide(1)
      << "\nfirm-address = " << firmSide(1) << "\ngateway-port = " << port(customerSide(1))
      << "\nadmin-port = " << port(firmSide(1))
      << "\nreplication-port = " << replicationBase(firmSide(1)) << "\n\n";
  out << "[ss1]\nrole = street\ngroup-index = 1\nfirm-address = " << firmSide(2)
      << "\nadmin-port = " << port(firmSide(2))
      << "\nreplication-port = " << replicationBase(firmSide(2)) << "\nvenue = xtst\n\n";
  out << "[firm]\nrole = firm\ngroup-index = 2\nfirm-address = " << firmSide(3)
      << "\nadmin-port = " << port(firmSide(3))
      << "\nreplication-port = " << replicationBase(firmSide(3)) << "\n\n";
  out << "[bus-customer]\nrole = broker\nbus = customer\naddress = " << customerSide(250)
      << "\npublish-port = " << port(customerSide(250))
      << "\nsubscribe-port = " << port(customerSide(250)) << "\nfirm-address = " << firmSide(250)
      << "\nadmin-port = " << port(firmSide(250)) << "\n\n";
  out << "[bus-firm]\nrole = broker\nbus = firm\naddress = " << firmSide(251)
      << "\npublish-port = " << port(firmSide(251)) << "\nsubscribe-port = " << port(firmSide(251))
      << "\nfirm-address = " << firmSide(251) << "\nadmin-port = " << port(firmSide(251)) << "\n\n";
  out << "[xtst]\nrole = exchange\nfirm-address = " << firmSide(41)
      << "\nfix-port = " << port(firmSide(41)) << "\nfix-version = FIX.4.4\n";
  out.close();
  for (const std::string& site : siteIds()) data_[site] = dir_ / ("data-" + site);
}

void StorageCluster::start(const std::string& site) {
  sites_.erase(site);
  auto child = std::make_unique<ChildProcess>(
      builtProgram("tools/triad-site/triad-site"),
      std::vector<std::string>{"--topology", topology_.string(), "--id", site, "--data",
                               data_.at(site).string(), "--ack-timeout-ms",
                               std::to_string(options_.ackTimeoutMs), "--log-file-kib",
                               std::to_string(options_.logFileKiB), "--checkpoint-seconds",
                               std::to_string(options_.checkpointSeconds), "--verbose"},
      (dir_ / (site + ".log")).string());
  std::optional<std::string> line = child->readLine(std::chrono::seconds(60));
  if (!line || line->rfind("ok started", 0) != 0) {
    throw std::runtime_error("site " + site + " did not start: " + line.value_or("(nothing)"));
  }
  sites_[site] = std::move(child);
}

void StorageCluster::startAll() {
  for (const std::string& site : siteIds()) start(site);
}

void StorageCluster::kill(const std::string& site) {
  auto it = sites_.find(site);
  if (it == sites_.end()) return;
  it->second->kill(SIGKILL);
  it->second->wait(std::chrono::seconds(10));
  sites_.erase(it);
}

std::string StorageCluster::ask(const std::string& site, const std::string& command,
                                std::vector<std::string>* details, int timeoutMs) {
  auto it = sites_.find(site);
  if (it == sites_.end()) return "error (site " + site + " is not running)";
  if (!it->second->send(command)) return "error (site " + site + " is gone)";
  for (;;) {
    std::optional<std::string> line = it->second->readLine(std::chrono::milliseconds(timeoutMs));
    if (!line) return "error (no answer from " + site + " to '" + command + "')";
    if (line->rfind("ok", 0) == 0 || line->rfind("error", 0) == 0) return *line;
    if (details != nullptr) details->push_back(*line);
  }
}

}  // namespace triad::testing
