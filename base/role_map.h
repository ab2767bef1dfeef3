// The operators' role map (issue 17; installed as /etc/triad/operators.conf):
// which Admin calls each operator may make, by the common name (CN) of the
// certificate the operators' CA issued them (scripts/make-ca --operator).
// One INI section per operator, read with Boost.Program_options' config-file
// parser as the topology is:
//
//   [alice]
//   roles = viewer, treasury
//
//   [dave]
//   roles = viewer
//   revoked = 2024-06-01 laptop lost (OPS-123)
//
// Roles: viewer (status, orders, bus, accounts, balances, audit: every
// read), operator (halt, resume, routes, settle), treasury (deposit,
// withdraw, approve or reject withdrawals, limits), admin (accounts create,
// the role map). A role grants only its own calls: give a treasury operator
// viewer too if they should read. `revoked` (any text: why, when) refuses
// every call from that certificate name, including on connections already
// open, from the moment a daemon reloads the map (SIGHUP).
//
// A map that parses is valid: every section names an operator (letters,
// digits, '.', '_', '-', '@'; at most 64), once; `roles` is a comma-separated
// list of known roles, present and not empty unless the operator is
// revoked; no other key. A bad file is refused with a message naming the file,
// the line and the fault; an operator not in the map has no roles.
//
// Thread-safety: a RoleMap is immutable once parsed; share it freely.

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace triad::access {

enum class Role : uint8_t { kViewer, kOperator, kTreasury, kAdmin };
inline constexpr Role kAllRoles[] = {Role::kViewer, Role::kOperator, Role::kTreasury, Role::kAdmin};

std::string_view roleName(Role role);  // "viewer", ...
std::optional<Role> roleFromName(std::string_view name);

// A set of roles.
class Roles {
 public:
  Roles() = default;
  Roles(std::initializer_list<Role> roles) {
    for (Role role : roles) add(role);
  }
  void add(Role role) { bits_ |= bit(role); }
  bool has(Role role) const { return (bits_ & bit(role)) != 0; }
  bool empty() const { return bits_ == 0; }
  std::vector<std::string> names() const;  // in kAllRoles order
  std::string toString() const;            // "viewer, treasury" or "none"

 private:
  static uint8_t bit(Role role) { return static_cast<uint8_t>(1u << static_cast<unsigned>(role)); }
  uint8_t bits_ = 0;
};

struct OperatorEntry {
  std::string name;  // the certificate's common name
  Roles roles;
  std::string revoked;  // why; empty: not revoked
  int line = 0;         // of its section header
};

struct RoleMapError {
  std::string message;  // "<file>:<line>: <fault>"
};

class RoleMap {
 public:
  RoleMap() = default;  // no operators: every call refused

  static std::variant<RoleMap, RoleMapError> load(const std::filesystem::path& path);
  // `source` names the text in messages (a file name).
  static std::variant<RoleMap, RoleMapError> parse(std::string_view text, std::string_view source);

  // Null for a name the map does not hold.
  const OperatorEntry* find(std::string_view name) const;
  const std::vector<OperatorEntry>& operators() const { return operators_; }  // file order
  // 16 hex digits of a hash of what the map says (not of its comments or
  // layout), so operators can tell whether every daemon holds the same map.
  // Not a security measure.
  const std::string& digest() const { return digest_; }

 private:
  std::vector<OperatorEntry> operators_;
  std::string digest_ = "0000000000000000";
};

// An operator name as the map and scripts/make-ca accept it.
bool validOperatorName(std::string_view name);

}  // namespace triad::access
