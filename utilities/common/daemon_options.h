// The options every Triad daemon takes, from its command line and from a
// config file (`--config FILE`, the same option names as INI `key = value`
// lines, as in etc/triad/). The command line wins over the file. A daemon
// adds its own options to the same description, so they may come from
// either place too.
//
//   --topology FILE        the topology (default /etc/triad/topology.conf)
//   --id ID                this daemon's utility (or broker) id; required
//   --data DIR             data root, groups live in DIR/<group>/ (utilities)
//   --ack-policy P         one, all-available or none (default one)
//   --ack-timeout-ms N     how long a commit waits for a replica (default 2000)
//   --replica-wait-ms N    how long start-up waits for a replica of the owned
//                          group before going on without one (default 30000)
//   --log-level L          debug, info, warning or error (default info)
//   --crash-at NAME[:N]    fault tests only: die at a crash point (crash_point.h)
//   --firm-bus-keys DIR    connect to the firm bus with CURVE, with this
//                          utility's key from DIR (brokers/bus_curve.h)
//   --replication-tls DIR  replication's mutual TLS: the deployment's CA
//                          (ca.crt) and this utility's certificate and key
//                          (<id>.crt, <id>.key; scripts/make-ca --site),
//                          default /etc/triad/replication
//   --admin-tls DIR        Admin is mutual TLS only (issue 17): the operators'
//                          CA (ca.crt, which issues operators' certificates)
//                          and this daemon's <id>.crt and <id>.key from that
//                          CA (scripts/make-ca --site <id> DIR), default
//                          /etc/triad/admin
//   --operators FILE       the operators' role map (base/role_map.h), default
//                          /etc/triad/operators.conf; reloaded on SIGHUP

#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "base/log.h"
#include "bdb/ownership_group.h"

namespace triad::common {

struct DaemonOptions {
  std::filesystem::path topologyPath{"/etc/triad/topology.conf"};
  std::string id;
  std::filesystem::path dataRoot;  // empty if not given (a broker needs none)
  bdb::AckPolicy ackPolicy = bdb::AckPolicy::kOne;
  std::chrono::milliseconds ackTimeout{2000};
  std::chrono::milliseconds replicaWait{30000};
  base::LogLevel logLevel = base::LogLevel::kInfo;
  std::string crashAt;                // empty: no crash point armed
  std::filesystem::path firmBusKeys;  // empty: the firm bus without CURVE
  std::filesystem::path replicationTls{"/etc/triad/replication"};
  std::filesystem::path adminTls{"/etc/triad/admin"};
  std::filesystem::path operatorsPath{"/etc/triad/operators.conf"};
};

struct ParsedOptions {
  DaemonOptions common;
  boost::program_options::variables_map variables;  // every option, the daemon's own included
};

// Parsing ended the run: print `message` (to stdout for code 0, --help; to
// stderr otherwise) and exit with `code` (2: bad options).
struct OptionsExit {
  int code;
  std::string message;
};

using AddOptions = std::function<void(boost::program_options::options_description&)>;

// `daemon` names the program in help and error messages; `addOptions` (may be
// empty) adds the daemon's own options. Never throws.
[[nodiscard]] std::variant<ParsedOptions, OptionsExit> parseDaemonOptions(
    std::string_view daemon, int argc, const char* const* argv, const AddOptions& addOptions);

}  // namespace triad::common
