#include "utilities/common/daemon_options.h"

#include <boost/program_options/parsers.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <sstream>

namespace triad::common {

namespace po = boost::program_options;

std::variant<ParsedOptions, OptionsExit> parseDaemonOptions(std::string_view daemon, int argc,
                                                            const char* const* argv,
                                                            const AddOptions& addOptions) {
  const std::string name(daemon);
  po::options_description described(name + " options");
  described.add_options()                     //
      ("help,h", "print this help and exit")  //
      ("config", po::value<std::string>(),
       "read options from this file as well (INI "
       "'key = value'); the command line wins")  //
      ("topology", po::value<std::string>()->default_value("/etc/triad/topology.conf"),
       "the topology file")                                                            //
      ("id", po::value<std::string>(), "this daemon's id in the topology (required)")  //
      ("data", po::value<std::string>(),
       "data root; ownership groups live in <data>/<group>/ (required for a utility)")  //
      ("ack-policy", po::value<std::string>()->default_value("one"),
       "which replicas must acknowledge a commit: one, all-available or none")  //
      ("ack-timeout-ms", po::value<int64_t>()->default_value(2000),
       "how long a commit waits for a replica's acknowledgement")  //
      ("replica-wait-ms", po::value<int64_t>()->default_value(30000),
       "how long start-up waits for a replica of the owned group before going on without one")  //
      ("log-level", po::value<std::string>()->default_value("info"),
       "debug, info, warning or error")  //
      ("crash-at", po::value<std::string>(),
       "fault tests only: SIGKILL this process at crash point NAME[:N] (crash_point.h)")  //
      ("firm-bus-keys", po::value<std::string>(),
       "connect to the firm bus with CURVE: this folder holds <id>.secret and firm-bus.public "
       "(triad-bus-keys)")  //
      ("replication-tls", po::value<std::string>()->default_value("/etc/triad/replication"),
       "replication is mutual TLS: this folder holds the deployment's ca.crt and this "
       "utility's <id>.crt and <id>.key (scripts/make-ca --site <id>)")  //
      ("admin-tls", po::value<std::string>()->default_value("/etc/triad/admin"),
       "Admin is mutual TLS only: this folder holds the operators' CA (ca.crt) and this "
       "daemon's <id>.crt and <id>.key from it (scripts/make-ca --site <id>)")  //
      ("operators", po::value<std::string>()->default_value("/etc/triad/operators.conf"),
       "the operators' role map; reloaded on SIGHUP");
  if (addOptions) addOptions(described);

  auto usage = [&](const std::string& message) {
    std::ostringstream text;
    text << name << ": " << message << "\n" << described;
    return OptionsExit{2, text.str()};
  };

  ParsedOptions parsed;
  po::variables_map& vm = parsed.variables;
  try {
    // Stored first, so its values win over the file's.
    po::store(po::parse_command_line(argc, argv, described), vm);
    if (vm.count("help")) {
      std::ostringstream text;
      text << described;
      return OptionsExit{0, text.str()};
    }
    if (vm.count("config")) {
      const std::string config = vm["config"].as<std::string>();
      po::store(po::parse_config_file<char>(config.c_str(), described), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return usage(e.what());
  }

  DaemonOptions& options = parsed.common;
  if (!vm.count("id") || vm["id"].as<std::string>().empty()) {
    return usage("--id is required");
  }
  options.id = vm["id"].as<std::string>();
  options.topologyPath = vm["topology"].as<std::string>();
  if (vm.count("data")) options.dataRoot = vm["data"].as<std::string>();

  const std::string policy = vm["ack-policy"].as<std::string>();
  std::optional<bdb::AckPolicy> ackPolicy = bdb::parseAckPolicy(policy);
  if (!ackPolicy) {
    return usage("--ack-policy must be one, all-available or none, not '" + policy + "'");
  }
  options.ackPolicy = *ackPolicy;

  const int64_t ackTimeoutMs = vm["ack-timeout-ms"].as<int64_t>();
  if (ackTimeoutMs <= 0) return usage("--ack-timeout-ms must be positive");
  options.ackTimeout = std::chrono::milliseconds(ackTimeoutMs);

  const int64_t replicaWaitMs = vm["replica-wait-ms"].as<int64_t>();
  if (replicaWaitMs < 0) return usage("--replica-wait-ms must not be negative");
  options.replicaWait = std::chrono::milliseconds(replicaWaitMs);

  const std::string level = vm["log-level"].as<std::string>();
  std::optional<base::LogLevel> logLevel = base::parseLogLevel(level);
  if (!logLevel) {
    return usage("--log-level must be debug, info, warning or error, not '" + level + "'");
  }
  options.logLevel = *logLevel;

  if (vm.count("firm-bus-keys")) {
    options.firmBusKeys = vm["firm-bus-keys"].as<std::string>();
    if (options.firmBusKeys.empty()) return usage("--firm-bus-keys names no folder");
  }
  options.replicationTls = vm["replication-tls"].as<std::string>();
  if (options.replicationTls.empty()) return usage("--replication-tls names no folder");
  options.adminTls = vm["admin-tls"].as<std::string>();
  if (options.adminTls.empty()) return usage("--admin-tls names no folder");
  options.operatorsPath = vm["operators"].as<std::string>();
  if (options.operatorsPath.empty()) return usage("--operators names no file");
  if (vm.count("crash-at")) {
    options.crashAt = vm["crash-at"].as<std::string>();
    if (options.crashAt.empty()) return usage("--crash-at names no crash point");
  }
  return parsed;
}

}  // namespace triad::common
