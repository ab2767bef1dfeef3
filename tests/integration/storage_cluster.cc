#include "tests/integration/storage_cluster.h"

#include <signal.h>
#include <fstream>
#include <stdexcept>

#include "tests/support/site_certificates.h"
#include "tests/support/test_topology.h"

namespace triad::testing {

const std::vector<std::string>& StorageCluster::siteIds() {
  static const std::vector<std::string> ids = {"cf1", "ss1", "firm"};
  return ids;
}

StorageCluster::StorageCluster(Options options) : options_(options) {
  std::ofstream(topology_ = dir_ / "topology.conf")
      << makeTestTopology({.customers = {"cf1"}, .streets = {"ss1"}});
  for (const std::string& site : siteIds()) data_[site] = dir_ / ("data-" + site);
  auto loaded = topology::Topology::load(topology_);
  makeSiteCertificates(dir_ / "replication-tls", std::get<topology::Topology>(loaded));
}

std::string StorageCluster::log(const std::string& site) const {
  std::ifstream in(dir_ / (site + ".log"));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void StorageCluster::start(const std::string& site, const std::filesystem::path& tls) {
  sites_.erase(site);
  auto child = std::make_unique<ChildProcess>(
      builtProgram("tools/triad-site/triad-site"),
      std::vector<std::string>{"--topology", topology_.string(), "--id", site, "--data",
                               data_.at(site).string(), "--ack-timeout-ms",
                               std::to_string(options_.ackTimeoutMs), "--log-file-kib",
                               std::to_string(options_.logFileKiB), "--checkpoint-seconds",
                               std::to_string(options_.checkpointSeconds), "--replication-tls",
                               (tls.empty() ? tlsPath() : tls).string(), "--verbose"},
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
