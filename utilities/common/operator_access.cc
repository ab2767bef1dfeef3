#include "utilities/common/operator_access.h"

#include <map>
#include <utility>

namespace triad::common {

std::optional<access::Role> requiredRole(std::string_view method) {
  using access::Role;
  static const std::map<std::string_view, std::optional<Role>> kRoles = {
      {"whoami", std::nullopt},
      {"health", Role::kViewer},
      {"groups", Role::kViewer},
      {"accounts", Role::kViewer},
      {"routes", Role::kViewer},
      {"verify", Role::kViewer},
      {"orders", Role::kViewer},
      {"busStats", Role::kViewer},
      {"replication", Role::kViewer},
      {"venueAlarms", Role::kViewer},
      {"accessStats", Role::kViewer},
      {"audit", Role::kViewer},
      {"withdrawals", Role::kViewer},
      {"halt", Role::kOperator},
      {"resume", Role::kOperator},
      {"setRoute", Role::kOperator},
      {"settle", Role::kOperator},
      {"deposit", Role::kTreasury},
      {"withdraw", Role::kTreasury},
      {"setLimits", Role::kTreasury},
      {"approveWithdrawal", Role::kTreasury},
      {"rejectWithdrawal", Role::kTreasury},
      {"createAccount", Role::kAdmin},
      {"roles", Role::kAdmin},
  };
  auto found = kRoles.find(method);
  return found == kRoles.end() ? std::optional<Role>(Role::kAdmin) : found->second;
}

std::variant<OperatorAccess, access::RoleMapError> OperatorAccess::open(
    std::filesystem::path source, Clock clock) {
  auto loaded = access::RoleMap::load(source);
  if (auto* error = std::get_if<access::RoleMapError>(&loaded)) return *error;
  OperatorAccess access(std::get<access::RoleMap>(std::move(loaded)), std::move(clock));
  access.source_ = std::move(source);
  return access;
}

OperatorAccess::OperatorAccess(access::RoleMap map, Clock clock)
    : map_(std::move(map)), clock_(std::move(clock)), loadedAtNanos_(clock_()) {}

std::optional<access::RoleMapError> OperatorAccess::reload() {
  if (source_.empty()) return access::RoleMapError{"the role map was not read from a file"};
  auto loaded = access::RoleMap::load(source_);
  if (auto* error = std::get_if<access::RoleMapError>(&loaded)) {
    ++counters_.reloadsRefused;
    return *error;
  }
  map_ = std::get<access::RoleMap>(std::move(loaded));
  loadedAtNanos_ = clock_();
  return std::nullopt;
}

std::optional<std::string> OperatorAccess::refusal(const OperatorCaller& caller,
                                                   std::string_view method) {
  const access::OperatorEntry* entry = map_.find(caller.name);
  const std::optional<access::Role> needed = requiredRole(method);
  std::optional<std::string> why;
  if (entry != nullptr && !entry->revoked.empty()) {
    why = "operator '" + caller.name + "' is revoked (" + entry->revoked + ")";
  } else if (needed && (entry == nullptr || !entry->roles.has(*needed))) {
    why = std::string(method) + " needs role " + std::string(access::roleName(*needed)) +
          "; operator '" + caller.name + "' has " +
          (entry == nullptr ? std::string("none") : entry->roles.toString());
  }
  if (why) ++counters_.permissionDenied;
  return why;
}

}  // namespace triad::common
