// Who may make which Admin call (issue 17): the operators' role map
// (base/role_map.h) a daemon holds, reloaded on SIGHUP, and the counters
// `triadctl status` shows. Every Admin call comes over mutual TLS
// (admin_listener.h) from an operator named by their certificate's common
// name; `refusal` says whether the map lets them make it.
//
// Which role each method needs (requiredRole): viewer for every read
// (health, groups, accounts, routes, verify, orders, busStats, replication,
// venueAlarms, accessStats, audit, withdrawals); operator for halt, resume,
// setRoute, settle; treasury for deposit, withdraw, setLimits,
// approveWithdrawal, rejectWithdrawal; admin for createAccount and roles;
// whoami needs none. A method this table does not know needs admin, so that a
// method added later is closed until someone decides who may call it.
//
// Thread-safety: used on the daemon's event loop thread only.

#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/role_map.h"

namespace triad::common {

// The operator making the call being served.
struct OperatorCaller {
  std::string name;  // the certificate's common name; empty: not over TLS (in-process tests)
  std::string peer;  // "127.0.0.9:40112"
};

struct AccessCounters {
  uint64_t permissionDenied = 0;    // calls refused: a role missing, or the operator revoked
  uint64_t refusedConnections = 0;  // TLS handshakes refused (plaintext, no or foreign cert)
  uint64_t reloadsRefused = 0;      // role maps refused on SIGHUP (the old one stays)
};

// The role a method needs; nullopt: any operator the map does not revoke.
std::optional<access::Role> requiredRole(std::string_view method);

class OperatorAccess {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the Unix epoch

  // Reads the role map at `source`; its error (naming the file and line) if refused.
  static std::variant<OperatorAccess, access::RoleMapError> open(std::filesystem::path source,
                                                                 Clock clock);
  // A fixed map (tests).
  OperatorAccess(access::RoleMap map, Clock clock);

  // Reads the file again; on a refusal the map in force stays and the error is returned.
  std::optional<access::RoleMapError> reload();

  // Why `caller` may not call `method`, or nullopt when they may. Counts refusals.
  std::optional<std::string> refusal(const OperatorCaller& caller, std::string_view method);

  void countRefusedConnection() { ++counters_.refusedConnections; }

  const access::RoleMap& map() const { return map_; }
  const std::filesystem::path& source() const { return source_; }
  int64_t loadedAtNanos() const { return loadedAtNanos_; }
  const AccessCounters& counters() const { return counters_; }

 private:
  access::RoleMap map_;
  std::filesystem::path source_;
  Clock clock_;
  int64_t loadedAtNanos_ = 0;
  AccessCounters counters_;
};

}  // namespace triad::common
