// The server frame every Triad daemon shares (customerd, streetd, firmd,
// brokerd). A daemon's main only names itself and its role-specific parts:
//
//   int main(int argc, char** argv) {
//     triad::common::Daemon daemon({
//         .name = "triad-streetd",
//         .roles = {triad::topology::Role::kStreet},
//         .makeRole = [](triad::common::DaemonContext& c) { return kj::heap<StreetRole>(c); },
//     });
//     return daemon.run(argc, argv);
//   }
//
// What `run` does, in order:
//  1. reads the common options (daemon_options.h) and the daemon's own;
//  2. loads the topology; a refused one is logged with its line and fault;
//  3. opens the site's storage (every ownership group; a broker has none);
//  4. builds the role, and serves its Admin over Cap'n Proto RPC on the
//     site's firm-side address and admin port only (never customer-facing);
//  5. waits, bounded by --replica-wait-ms, for a replica of the owned group
//     to acknowledge a commit; goes on without one (logged, and listed in
//     health's problems) so that a lone first site can start;
//  6. starts the role (DaemonRole::start), then reports ready: in Health and,
//     under systemd, READY=1;
//  7. runs its one kj event loop until SIGTERM or SIGINT, pinging systemd's
//     watchdog at half of WATCHDOG_USEC when asked;
//  8. on the signal: STOPPING=1, stops serving Admin, destroys the role,
//     closes the storage (a replica's close can take ~5 s) and returns 0.
//
// Status lines (STATUS=) say which step it is in. Logs go to stderr through
// one base::Logger (log.h), which the role gets too.
//
// Exit codes: 0 after a clean stop or --help; 1 when it cannot start (storage,
// Admin port) or a part fails while running; 2 for bad options or a refused
// topology, or an id whose role this daemon does not run.
//
// Threads: everything but storage runs on the thread that calls `run`. The
// stop signals are blocked before any other thread exists, so that only the
// event loop takes them.

#pragma once

#include <kj/async-io.h>
#include <kj/memory.h>

#include <functional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/topology.h"
#include "brokers/bus_curve.h"
#include "utilities/common/admin_server.h"
#include "utilities/common/daemon_options.h"
#include "utilities/common/service_health.h"
#include "utilities/common/site_storage.h"

namespace triad::common {

struct DaemonSpec;

// What the running frame lends a daemon's role-specific parts. Everything
// here outlives the role.
struct DaemonContext {
  const DaemonSpec& spec;
  const DaemonOptions& options;
  const boost::program_options::variables_map& variables;  // the daemon's own options too
  const topology::Topology& topology;
  const DaemonIdentity& identity;
  const topology::Utility* utility;  // this site; null for a broker
  const topology::Broker* broker;    // this broker; null for a utility
  SiteStorage* storage;              // null for a broker: it holds no ownership group
  // How to connect to the firm bus with CURVE (--firm-bus-keys); null: without.
  const brokers::CurveClient* firmBusCurve;
  base::Logger& logger;
  ServiceHealth& health;  // report problems here; the frame sets `ready`
  kj::AsyncIoContext& io;
};

// A daemon's role-specific parts. Destroyed on the event loop thread when the
// daemon stops, before the storage closes: its destructor stops what it
// started.
class DaemonRole {
 public:
  explicit DaemonRole(DaemonContext& context) : context_(context) {}
  virtual ~DaemonRole() = default;
  DaemonRole(const DaemonRole&) = delete;
  DaemonRole& operator=(const DaemonRole&) = delete;

  // The Admin server for this daemon, called once before the Admin port
  // listens. Default: health and groups only (AdminServer).
  virtual kj::Own<AdminServer> makeAdmin();

  // Starts what the daemon serves besides Admin, after the replica wait. The
  // daemon is ready when the promise resolves; if it rejects, the daemon
  // stops with exit 1.
  virtual kj::Promise<void> start() { return kj::READY_NOW; }

 protected:
  DaemonContext& context() const { return context_; }

 private:
  DaemonContext& context_;
};

struct DaemonSpec {
  std::string name{};                   // "triad-customerd": in logs, STATUS= and Admin reasons
  std::vector<topology::Role> roles{};  // the roles whose ids it runs; refuses any other id
  AddOptions addOptions{};              // the daemon's own options; may be empty
  // Builds the role once storage is open; empty: a bare DaemonRole.
  std::function<kj::Own<DaemonRole>(DaemonContext&)> makeRole{};
};

class Daemon {
 public:
  explicit Daemon(DaemonSpec spec) : spec_(std::move(spec)) {}

  // Runs the daemon to completion and returns its exit code (see above).
  // Call once per process.
  int run(int argc, const char* const* argv);
  int run(int argc, char** argv) { return run(argc, const_cast<const char* const*>(argv)); }

 private:
  DaemonSpec spec_;
};

}  // namespace triad::common
