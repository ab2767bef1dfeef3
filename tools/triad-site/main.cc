// triad-site: a bare storage site. It opens one utility's ownership groups
// from the topology (its own as master, every other as a replica) and takes
// line commands on stdin (see site_console.h). Used by the multi-process
// storage tests, the storage demo and the replication benchmark, and by an
// operator to inspect a site's replicas record by record.

#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "base/topology.h"
#include "tools/triad-site/site_console.h"
#include "utilities/common/site_storage.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  std::string topologyPath, id, dataRoot, ackPolicy, keys;
  int ackTimeoutMs = 2000, checkpointSeconds = 30, logFileKiB = 8192;
  bool verbose = false;
  po::options_description options("triad-site options");
  options.add_options()("help", "show this help")(
      "topology", po::value(&topologyPath)->default_value("/etc/triad/topology.conf"),
      "the topology file")("id", po::value(&id)->required(), "this site's utility id")(
      "data", po::value(&dataRoot)->required(), "data root; groups live in <data>/<group>/")(
      "replication-tls", po::value(&keys)->default_value("/etc/triad/replication"),
      "replication's mutual TLS: ca.crt and this site's <id>.crt, <id>.key")(
      "ack-policy", po::value(&ackPolicy)->default_value("one"),
      "which replicas must acknowledge a commit: one, all-available or none")(
      "ack-timeout-ms", po::value(&ackTimeoutMs)->default_value(2000),
      "how long a commit waits for a replica's acknowledgement")(
      "checkpoint-seconds", po::value(&checkpointSeconds)->default_value(30),
      "how often the owner checkpoints and removes old logs (0: never)")(
      "log-file-kib", po::value(&logFileKiB)->default_value(8192),
      "size of each Berkeley DB log file")("verbose", po::bool_switch(&verbose),
                                           "log replication events to stderr");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "triad-site: " << e.what() << "\n";
    return 2;
  }

  std::optional<triad::bdb::AckPolicy> policy = triad::bdb::parseAckPolicy(ackPolicy);
  if (!policy) {
    std::cerr << "triad-site: --ack-policy must be one, all-available or none, not '" << ackPolicy
              << "'\n";
    return 2;
  }

  auto loaded = triad::topology::Topology::load(topologyPath);
  if (auto* error = std::get_if<triad::topology::TopologyError>(&loaded)) {
    std::cerr << "triad-site: " << error->message << "\n";
    return 2;
  }
  const auto& topology = std::get<triad::topology::Topology>(loaded);

  triad::common::SiteStorageOptions storageOptions;
  storageOptions.dataRoot = dataRoot;
  storageOptions.tls = keys;
  storageOptions.ackPolicy = *policy;
  storageOptions.ackTimeout = std::chrono::milliseconds(ackTimeoutMs);
  storageOptions.checkpointInterval = std::chrono::seconds(checkpointSeconds);
  storageOptions.logFileBytes = static_cast<uint32_t>(logFileKiB) * 1024u;
  storageOptions.log = [&id](std::string_view line) {
    std::cerr << "triad-site " << id << ": " << line << "\n";
  };
  if (!verbose) storageOptions.log = nullptr;

  std::unique_ptr<triad::common::SiteStorage> storage;
  triad::bdb::Status s = triad::common::SiteStorage::open(topology, id, storageOptions, &storage);
  if (!s.isOk()) {
    std::cerr << "triad-site " << id << ": cannot open storage: " << s.toString() << "\n";
    return 1;
  }
  std::cout << "ok started " << id << std::endl;

  triad::tools::SiteConsole console(topology, *storage);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!console.run(line, std::cout)) break;
  }
  return 0;
}
