#include "base/role_map.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace triad::access {
namespace po = boost::program_options;
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r\n";
  size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

// Boost's config-file parser reports no line numbers, so the text is also
// scanned the way it reads it ('#' starts a comment, blanks trimmed, "[name]"
// opens a section, the first '=' splits a key from its value).
struct ScannedKey {
  std::string key;
  std::string value;
  int line;
};
struct ScannedSection {
  std::string name;
  int line;
  std::vector<ScannedKey> keys;
};
struct Scan {
  std::vector<ScannedSection> sections;
  std::vector<ScannedKey> looseKeys;
  std::vector<std::pair<int, std::string>> badLines;
};

Scan scanText(std::string_view text) {
  Scan scan;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      scan.sections.push_back({std::string(trim(line.substr(1, line.size() - 2))), number, {}});
    } else if (size_t equals = line.find('='); equals != std::string_view::npos) {
      ScannedKey key{std::string(trim(line.substr(0, equals))),
                     std::string(trim(line.substr(equals + 1))), number};
      (scan.sections.empty() ? scan.looseKeys : scan.sections.back().keys).push_back(key);
    } else {
      scan.badLines.emplace_back(number, std::string(line));
    }
  }
  return scan;
}

uint64_t fnv1a(std::string_view text, uint64_t hash = 1469598103934665603ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kTreasury:
      return "treasury";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> roleFromName(std::string_view name) {
  for (Role role : kAllRoles) {
    if (roleName(role) == name) return role;
  }
  return std::nullopt;
}

std::vector<std::string> Roles::names() const {
  std::vector<std::string> out;
  for (Role role : kAllRoles) {
    if (has(role)) out.emplace_back(roleName(role));
  }
  return out;
}

std::string Roles::toString() const {
  std::string text;
  for (const std::string& name : names()) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

bool validOperatorName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::variant<RoleMap, RoleMapError> RoleMap::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return RoleMapError{path.string() + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

std::variant<RoleMap, RoleMapError> RoleMap::parse(std::string_view text, std::string_view source) {
  auto fault = [&](int line, const std::string& what) {
    return RoleMapError{std::string(source) + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                        what};
  };
  const Scan scan = scanText(text);
  // Boost's reading, so that the file means what the topology's parser
  // would make of it; its syntax errors are named by line from the scan.
  try {
    std::istringstream in{std::string(text)};
    po::options_description none;
    po::parse_config_file(in, none, /*allow_unregistered=*/true);
  } catch (const po::invalid_syntax& e) {
    int line = 0;
    for (const auto& [number, content] : scan.badLines) {
      if (content == e.tokens()) line = number;
    }
    return fault(
        line, "syntax error: '" + e.tokens() + "' is neither an [operator] header nor key = value");
  } catch (const po::error& e) {
    return fault(0, std::string("syntax error: ") + e.what());
  }
  if (!scan.badLines.empty()) {
    return fault(
        scan.badLines.front().first,
        "'" + scan.badLines.front().second + "' is neither an [operator] header nor key = value");
  }
  if (!scan.looseKeys.empty()) {
    return fault(scan.looseKeys.front().line,
                 "key '" + scan.looseKeys.front().key + "' is outside any [operator] section");
  }
  RoleMap map;
  std::map<std::string, int> firstLine;
  std::string canonical;
  for (const ScannedSection& section : scan.sections) {
    if (!validOperatorName(section.name)) {
      return fault(section.line, "'" + section.name +
                                     "' is not an operator name (letters, digits, '.', '_', "
                                     "'-', '@'; at most 64)");
    }
    if (auto [it, inserted] = firstLine.emplace(section.name, section.line); !inserted) {
      return fault(section.line, "operator '" + section.name + "' again (first at line " +
                                     std::to_string(it->second) + ")");
    }
    OperatorEntry entry{section.name, {}, {}, section.line};
    bool hasRoles = false;
    int rolesLine = section.line;
    for (const ScannedKey& key : section.keys) {
      if (key.key == "roles") {
        if (hasRoles) return fault(key.line, "'roles' again for '" + section.name + "'");
        hasRoles = true;
        rolesLine = key.line;
        std::string_view rest = key.value;
        while (!rest.empty()) {
          size_t comma = rest.find(',');
          std::string_view name = trim(rest.substr(0, comma));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
          if (name.empty()) return fault(key.line, "an empty role in 'roles'");
          std::optional<Role> role = roleFromName(name);
          if (!role) {
            return fault(key.line, "unknown role '" + std::string(name) +
                                       "' (expected viewer, operator, treasury or admin)");
          }
          entry.roles.add(*role);
        }
      } else if (key.key == "revoked") {
        if (key.value.empty()) {
          return fault(key.line, "'revoked' wants a reason (why, when)");
        }
        entry.revoked = key.value;
      } else {
        return fault(key.line, "unknown key '" + key.key + "' (expected roles or revoked)");
      }
    }
    if (entry.roles.empty() && entry.revoked.empty()) {
      return fault(rolesLine, "operator '" + section.name + "' has no roles");
    }
    canonical += entry.name + "\n" + entry.roles.toString() + "\n" + entry.revoked + "\n";
    map.operators_.push_back(std::move(entry));
  }
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx",
                static_cast<unsigned long long>(fnv1a(canonical)));
  map.digest_ = digest;
  return map;
}

const OperatorEntry* RoleMap::find(std::string_view name) const {
  for (const OperatorEntry& entry : operators_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace triad::access
