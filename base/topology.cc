#include "base/topology.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <boost/any.hpp>
#include <boost/program_options.hpp>

namespace triad::topology {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kNetworkSection = "network";
constexpr std::string_view kRoleList = "customer, street, firm, broker or exchange";

// Digits only, no sign, no leading zeros unless the value is 0 (so "010" is
// not read as ten by one tool and eight by another).
std::optional<uint32_t> parseDecimal(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::string inQuotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// How messages name a section: "[network]", or a node's id in quotes.
std::string sectionName(std::string_view id) {
  return id == kNetworkSection ? "[network]" : inQuotes(id);
}

// ---- Typed values -----------------------------------------------------------
// Every key has one of these types. Boost finds each type's validate() by
// argument-dependent lookup and calls it from po::store, so a bad value is
// Boost's own validation error; ours carries the reason a person can act on.

struct PortValue {
  uint16_t value;
};
struct AddressValue {
  std::string value;
};
struct NetworkValue {
  Network value;
};
struct GroupIndexValue {
  uint32_t value;
};
struct BusValue {
  Bus value;
};
struct FixVersionValue {
  std::string value;
};
struct PossResendValue {
  bool honoured;
};
struct StatusRequestValue {
  bool supported;
};
struct SecondsValue {
  uint32_t seconds;
};

class BadValue : public po::validation_error {
 public:
  // problem: "bad port '0'"; expected: "must be a number 1..65535".
  BadValue(std::string problem, std::string expected)
      : po::validation_error(po::validation_error::invalid_option_value),
        problem_(std::move(problem)),
        expected_(std::move(expected)) {}
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string problem_;
  std::string expected_;
};

const std::string& singleToken(boost::any& out, const std::vector<std::string>& tokens) {
  po::validators::check_first_occurrence(out);
  return po::validators::get_single_string(tokens);
}

void validate(boost::any& out, const std::vector<std::string>& tokens, PortValue*, int) {
  const std::string& text = singleToken(out, tokens);
  std::optional<uint32_t> port = parseDecimal(text, 65535);
  if (!port || *port == 0) {
    throw BadValue("bad port " + inQuotes(text), "must be a number 1..65535");
  }
  out = PortValue{static_cast<uint16_t>(*port)};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, AddressValue*, int) {
  const std::string& text = singleToken(out, tokens);
  if (!parseIpv4(text)) {
    throw BadValue("bad IPv4 address " + inQuotes(text), "expected four numbers 0..255 (a.b.c.d)");
  }
  out = AddressValue{text};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, NetworkValue*, int) {
  const std::string& text = singleToken(out, tokens);
  const std::string expected = "expected a.b.c.d/prefix-length, prefix length 0..32";
  size_t slash = text.find('/');
  if (slash == std::string::npos) throw BadValue("bad network " + inQuotes(text), expected);
  std::optional<uint32_t> address = parseIpv4(std::string_view(text).substr(0, slash));
  std::optional<uint32_t> length = parseDecimal(std::string_view(text).substr(slash + 1), 32);
  if (!address || !length) throw BadValue("bad network " + inQuotes(text), expected);
  Network network{*address, static_cast<uint8_t>(*length)};
  uint32_t mask = *length == 0 ? 0 : ~uint32_t{0} << (32 - *length);
  if ((*address & ~mask) != 0) {
    network.address = *address & mask;
    throw BadValue("bad network " + inQuotes(text),
                   "it has host bits set (did you mean " + network.toString() + "?)");
  }
  out = NetworkValue{network};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, GroupIndexValue*, int) {
  const std::string& text = singleToken(out, tokens);
  std::optional<uint32_t> index = parseDecimal(text, kMaxGroups - 1);
  if (!index) {
    throw BadValue("bad group-index " + inQuotes(text),
                   "must be a number 0.." + std::to_string(kMaxGroups - 1));
  }
  out = GroupIndexValue{*index};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, BusValue*, int) {
  const std::string& text = singleToken(out, tokens);
  if (text == "customer") {
    out = BusValue{Bus::kCustomer};
  } else if (text == "firm") {
    out = BusValue{Bus::kFirm};
  } else {
    throw BadValue("bad bus " + inQuotes(text), "expected customer or firm");
  }
}

void validate(boost::any& out, const std::vector<std::string>& tokens, PossResendValue*, int) {
  const std::string& text = singleToken(out, tokens);
  if (text != "honoured" && text != "ignored") {
    throw BadValue("bad poss-resend " + inQuotes(text), "expected honoured or ignored");
  }
  out = PossResendValue{text == "honoured"};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, StatusRequestValue*, int) {
  const std::string& text = singleToken(out, tokens);
  if (text != "supported" && text != "unsupported") {
    throw BadValue("bad order-status-request " + inQuotes(text),
                   "expected supported or unsupported");
  }
  out = StatusRequestValue{text == "supported"};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, SecondsValue*, int) {
  const std::string& text = singleToken(out, tokens);
  std::optional<uint32_t> seconds = parseDecimal(text, 86400);
  if (!seconds || *seconds == 0) {
    throw BadValue("bad answer-timeout " + inQuotes(text), "must be a number of seconds 1..86400");
  }
  out = SecondsValue{*seconds};
}

void validate(boost::any& out, const std::vector<std::string>& tokens, FixVersionValue*, int) {
  const std::string& text = singleToken(out, tokens);
  if (text != "FIX.4.2" && text != "FIX.4.4") {
    throw BadValue("bad fix-version " + inQuotes(text), "expected FIX.4.2 or FIX.4.4");
  }
  out = FixVersionValue{text};
}

// ---- The keys of each kind of section ----------------------------------------

enum class ValueType {
  kText,
  kTextList,
  kPort,
  kAddress,
  kNetwork,
  kGroupIndex,
  kBus,
  kFixVersion,
  kPossResend,
  kStatusRequest,
  kSeconds
};

struct KeySpec {
  std::string_view name;
  ValueType type;
  bool required = true;
};

// The keys of each kind of section, required unless marked otherwise.
// nullopt is the [network] section.
const std::vector<KeySpec>& keysOf(std::optional<Role> role) {
  using T = ValueType;
  static const std::vector<KeySpec> network = {{"customer-facing", T::kNetwork},
                                               {"firm-side", T::kNetwork}};
  static const std::vector<KeySpec> customer = {{"role", T::kText},
                                                {"group-index", T::kGroupIndex},
                                                {"customer-address", T::kAddress},
                                                {"firm-address", T::kAddress},
                                                {"gateway-port", T::kPort},
                                                {"admin-port", T::kPort},
                                                {"replication-port", T::kPort}};
  static const std::vector<KeySpec> street = {
      {"role", T::kText},       {"group-index", T::kGroupIndex}, {"firm-address", T::kAddress},
      {"admin-port", T::kPort}, {"replication-port", T::kPort},  {"venue", T::kTextList}};
  static const std::vector<KeySpec> firm = {{"role", T::kText},
                                            {"group-index", T::kGroupIndex},
                                            {"firm-address", T::kAddress},
                                            {"admin-port", T::kPort},
                                            {"replication-port", T::kPort}};
  static const std::vector<KeySpec> broker = {
      {"role", T::kText},           {"bus", T::kBus},
      {"address", T::kAddress},     {"publish-port", T::kPort},
      {"subscribe-port", T::kPort}, {"firm-address", T::kAddress},
      {"admin-port", T::kPort}};
  static const std::vector<KeySpec> exchange = {{"role", T::kText},
                                                {"firm-address", T::kAddress},
                                                {"fix-port", T::kPort},
                                                {"fix-version", T::kFixVersion},
                                                {"poss-resend", T::kPossResend, false},
                                                {"order-status-request", T::kStatusRequest, false},
                                                {"answer-timeout", T::kSeconds, false}};
  if (!role) return network;
  switch (*role) {
    case Role::kCustomer:
      return customer;
    case Role::kStreet:
      return street;
    case Role::kFirm:
      return firm;
    case Role::kBroker:
      return broker;
    case Role::kExchange:
      return exchange;
  }
  return network;
}

template <typename T>
po::typed_value<T>* requiredIf(po::typed_value<T>* value, bool required) {
  return required ? value->required() : value;
}

po::value_semantic* semanticFor(ValueType type, bool required) {
  switch (type) {
    case ValueType::kText:
      return requiredIf(po::value<std::string>(), required);
    case ValueType::kTextList:
      return requiredIf(po::value<std::vector<std::string>>()->composing(), required);
    case ValueType::kPort:
      return requiredIf(po::value<PortValue>(), required);
    case ValueType::kAddress:
      return requiredIf(po::value<AddressValue>(), required);
    case ValueType::kNetwork:
      return requiredIf(po::value<NetworkValue>(), required);
    case ValueType::kGroupIndex:
      return requiredIf(po::value<GroupIndexValue>(), required);
    case ValueType::kBus:
      return requiredIf(po::value<BusValue>(), required);
    case ValueType::kFixVersion:
      return requiredIf(po::value<FixVersionValue>(), required);
    case ValueType::kPossResend:
      return requiredIf(po::value<PossResendValue>(), required);
    case ValueType::kStatusRequest:
      return requiredIf(po::value<StatusRequestValue>(), required);
    case ValueType::kSeconds:
      return requiredIf(po::value<SecondsValue>(), required);
  }
  return requiredIf(po::value<std::string>(), required);
}

std::optional<Role> roleFromName(std::string_view name) {
  for (Role role : {Role::kCustomer, Role::kStreet, Role::kFirm, Role::kBroker, Role::kExchange}) {
    if (roleName(role) == name) return role;
  }
  return std::nullopt;
}

// "a customer utility", "an exchange": how messages name a section's kind.
std::string describe(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "a customer utility";
    case Role::kStreet:
      return "a street utility";
    case Role::kFirm:
      return "a firm utility";
    case Role::kBroker:
      return "a broker";
    case Role::kExchange:
      return "an exchange";
  }
  return "a node";
}

bool validId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// ---- The line index ---------------------------------------------------------
// Boost reports no line numbers, so the text is scanned once, the way Boost's
// config-file iterator reads it (a '#' starts a comment, blanks around names
// and values are trimmed, "[id]" opens a section, the first '=' splits a key
// from its value), to find the line of every header and key.

struct ScannedKey {
  std::string key;
  std::string value;
  int line;
};

struct ScannedSection {
  std::string id;
  int line;
  std::vector<ScannedKey> keys;
};

struct Scan {
  std::vector<ScannedSection> sections;               // file order, repeated ids included
  std::vector<ScannedKey> looseKeys;                  // before the first [section]
  std::vector<std::pair<int, std::string>> badLines;  // neither header nor key = value
};

std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r\n";
  size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

Scan scanText(std::string_view text) {
  Scan scan;
  int lineNumber = 0;
  while (!text.empty()) {
    ++lineNumber;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      scan.sections.push_back({std::string(line.substr(1, line.size() - 2)), lineNumber, {}});
    } else if (size_t equals = line.find('='); equals != std::string_view::npos) {
      ScannedKey key{std::string(trim(line.substr(0, equals))),
                     std::string(trim(line.substr(equals + 1))), lineNumber};
      (scan.sections.empty() ? scan.looseKeys : scan.sections.back().keys).push_back(key);
    } else {
      scan.badLines.emplace_back(lineNumber, std::string(line));
    }
  }
  return scan;
}

}  // namespace

// Turns text into a Topology in steps; each step returns the first fault it
// finds. Not thread-safe; one parser per parse.
class TopologyParser {
 public:
  TopologyParser(std::string_view text, std::string_view sourceName)
      : text_(text), source_(sourceName), scan_(scanText(text)) {}

  std::variant<Topology, TopologyError> run() {
    if (auto error = readSections()) return *error;
    if (auto error = checkSections()) return *error;
    if (auto error = readRoles()) return *error;
    po::variables_map values;
    if (auto error = readValues(values)) return *error;
    build(values);
    if (auto error = checkNetworks()) return *error;
    if (auto error = checkUtilities()) return *error;
    if (auto error = checkBrokers()) return *error;
    if (auto error = checkVenues()) return *error;
    if (auto error = checkEndpoints()) return *error;
    std::sort(topology_.utilities_.begin(), topology_.utilities_.end(),
              [](const Utility& a, const Utility& b) { return a.groupIndex < b.groupIndex; });
    return std::move(topology_);
  }

 private:
  // The whole file's fault, when no line can be named.
  TopologyError fault(std::string what) const { return {source_ + ": " + what}; }
  TopologyError fault(int line, std::string what) const {
    if (line <= 0) return fault(std::move(what));
    return {source_ + ":" + std::to_string(line) + ": " + what};
  }

  // Boost's first pass, allowing every key: finds syntax errors and each
  // section's role.
  std::optional<TopologyError> readSections() {
    std::istringstream in{std::string(text_)};
    po::parsed_options parsed(nullptr);
    try {
      po::options_description none;
      parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    } catch (const po::invalid_syntax& e) {
      int line = 0;
      for (const auto& [number, content] : scan_.badLines) {
        if (content == e.tokens()) {
          line = number;
          break;
        }
      }
      return fault(line, "syntax error: " + inQuotes(e.tokens()) +
                             " is neither a [section] header nor key = value");
    } catch (const po::error& e) {
      return fault(std::string("syntax error: ") + e.what());
    }
    for (const po::option& option : parsed.options) {
      const std::string& name = option.string_key;
      size_t dot = name.find('.');
      if (dot == std::string::npos || option.value.empty()) continue;
      if (name.compare(dot + 1, std::string::npos, "role") == 0) {
        roleNames_.try_emplace(name.substr(0, dot), option.value.front());
      }
    }
    return std::nullopt;
  }

  // What Boost accepts but a topology cannot hold: keys outside any section,
  // keys without a name, ids that would not survive "id.key" naming, and one
  // id defined twice.
  std::optional<TopologyError> checkSections() {
    if (!scan_.looseKeys.empty()) {
      const ScannedKey& key = scan_.looseKeys.front();
      return fault(key.line, "key " + inQuotes(key.key) + " is outside any [section]");
    }
    std::map<std::string, int, std::less<>> firstLine;
    for (const ScannedSection& section : scan_.sections) {
      if (!validId(section.id)) {
        return fault(section.line,
                     "bad id " + inQuotes(section.id) + " (use letters, digits, '-' and '_' only)");
      }
      auto [it, inserted] = firstLine.emplace(section.id, section.line);
      if (!inserted) {
        return fault(section.line, "duplicate id " + inQuotes(section.id) +
                                       " (first defined at line " + std::to_string(it->second) +
                                       ")");
      }
      for (const ScannedKey& key : section.keys) {
        if (key.key.empty()) {
          return fault(key.line,
                       "syntax error: " + inQuotes("= " + key.value) + " has no key name");
        }
      }
      sections_.emplace(section.id, &section);
    }
    return std::nullopt;
  }

  std::optional<TopologyError> readRoles() {
    for (const ScannedSection& section : scan_.sections) {
      if (section.id == kNetworkSection) continue;
      auto name = roleNames_.find(section.id);
      if (name == roleNames_.end()) {
        return fault(section.line, inQuotes(section.id) + " has no role (expected " +
                                       std::string(kRoleList) + ")");
      }
      std::optional<Role> role = roleFromName(name->second);
      if (!role) {
        return fault(keyLine(section.id, "role"), "unknown role " + inQuotes(name->second) +
                                                      " for " + inQuotes(section.id) +
                                                      " (expected " + std::string(kRoleList) + ")");
      }
      roles_.emplace(section.id, *role);
    }
    return std::nullopt;
  }

  // Boost's second pass: every section's keys, typed by its role, so that an
  // unknown key, a repeated key, a bad value or a missing key is Boost's error.
  std::optional<TopologyError> readValues(po::variables_map& values) {
    po::options_description keys;
    for (const ScannedSection& section : scan_.sections) {
      for (const KeySpec& spec : keysOf(roleOf(section.id))) {
        keys.add_options()((section.id + "." + std::string(spec.name)).c_str(),
                           semanticFor(spec.type, spec.required));
      }
    }
    std::istringstream in{std::string(text_)};
    try {
      po::store(po::parse_config_file(in, keys, /*allow_unregistered=*/false), values);
      po::notify(values);
    } catch (const BadValue& e) {
      auto [id, key] = splitName(e.get_option_name());
      return fault(keyLine(id, key), e.problem() + " for " + inQuotes(key) + " of " +
                                         sectionName(id) + ": " + e.expected());
    } catch (const po::unknown_option& e) {
      return unknownKey(e.get_option_name());
    } catch (const po::multiple_occurrences& e) {
      auto [id, key] = splitName(e.get_option_name());
      return fault(keyLine(id, key, 1), "key " + inQuotes(key) + " is given twice in " +
                                            sectionName(id) + " (first at line " +
                                            std::to_string(keyLine(id, key)) + ")");
    } catch (const po::required_option& e) {
      auto [id, key] = splitName(e.get_option_name());
      std::optional<Role> role = roleOf(id);
      return fault(sectionLine(id), sectionName(id) + (role ? " (" + describe(*role) + ")" : "") +
                                        " is missing required key " + inQuotes(key));
    } catch (const po::error_with_option_name& e) {
      auto [id, key] = splitName(e.get_option_name());
      return fault(keyLine(id, key), e.what());
    } catch (const po::error& e) {
      return fault(e.what());
    }
    return std::nullopt;
  }

  TopologyError unknownKey(const std::string& optionName) const {
    auto [id, key] = splitName(optionName);
    std::optional<Role> role = roleOf(id);
    if (key == "customer-address" && (role == Role::kStreet || role == Role::kFirm)) {
      return fault(keyLine(id, key), inQuotes(id) + " is " + describe(*role) +
                                         ": only customer utilities have a customer-address");
    }
    std::string allowed;
    for (const KeySpec& spec : keysOf(role)) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(spec.name);
    }
    return fault(keyLine(id, key), "unknown key " + inQuotes(key) + " for " + sectionName(id) +
                                       " (" + (role ? describe(*role) : "the networks") +
                                       "; its keys are " + allowed + ")");
  }

  void build(const po::variables_map& values) {
    auto get = [&values](const std::string& id, std::string_view key) -> const po::variable_value& {
      return values[id + "." + std::string(key)];
    };
    for (const ScannedSection& section : scan_.sections) {
      const std::string& id = section.id;
      std::optional<Role> role = roleOf(id);
      if (!role) {
        topology_.customerFacing_ = get(id, "customer-facing").as<NetworkValue>().value;
        topology_.firmSide_ = get(id, "firm-side").as<NetworkValue>().value;
        haveNetwork_ = true;
        continue;
      }
      switch (*role) {
        case Role::kCustomer:
        case Role::kStreet:
        case Role::kFirm: {
          Utility utility{id,
                          *role,
                          get(id, "group-index").as<GroupIndexValue>().value,
                          std::nullopt,
                          get(id, "firm-address").as<AddressValue>().value,
                          0,
                          get(id, "admin-port").as<PortValue>().value,
                          get(id, "replication-port").as<PortValue>().value,
                          {},
                          section.line};
          if (*role == Role::kCustomer) {
            utility.customerAddress = get(id, "customer-address").as<AddressValue>().value;
            utility.gatewayPort = get(id, "gateway-port").as<PortValue>().value;
          }
          if (*role == Role::kStreet) {
            utility.venues = get(id, "venue").as<std::vector<std::string>>();
          }
          topology_.utilities_.push_back(std::move(utility));
          break;
        }
        case Role::kBroker:
          topology_.brokers_.push_back({id, get(id, "bus").as<BusValue>().value,
                                        get(id, "address").as<AddressValue>().value,
                                        get(id, "publish-port").as<PortValue>().value,
                                        get(id, "subscribe-port").as<PortValue>().value,
                                        get(id, "firm-address").as<AddressValue>().value,
                                        get(id, "admin-port").as<PortValue>().value, section.line});
          break;
        case Role::kExchange: {
          Exchange exchange{id, get(id, "firm-address").as<AddressValue>().value,
                            get(id, "fix-port").as<PortValue>().value,
                            get(id, "fix-version").as<FixVersionValue>().value, section.line};
          if (const auto& v = get(id, "poss-resend"); !v.empty()) {
            exchange.honoursPossResend = v.as<PossResendValue>().honoured;
          }
          if (const auto& v = get(id, "order-status-request"); !v.empty()) {
            exchange.answersStatusRequests = v.as<StatusRequestValue>().supported;
          }
          if (const auto& v = get(id, "answer-timeout"); !v.empty()) {
            exchange.answerTimeoutSeconds = v.as<SecondsValue>().seconds;
          }
          topology_.exchanges_.push_back(std::move(exchange));
          break;
        }
      }
    }
  }

  // [network] exists, its two networks are disjoint, and every service
  // listens on the network it belongs to (DESIGN §1: nothing of the firm side
  // listens on a customer-facing address, and the reverse).
  std::optional<TopologyError> checkNetworks() const {
    if (!haveNetwork_) {
      return fault("no [network] section (it names the customer-facing and firm-side networks)");
    }
    const Network& customer = topology_.customerFacing_;
    const Network& firm = topology_.firmSide_;
    if (customer.contains(firm.address) || firm.contains(customer.address)) {
      return fault(keyLine(std::string(kNetworkSection), "firm-side"),
                   "the customer-facing network " + customer.toString() +
                       " and the firm-side network " + firm.toString() + " overlap");
    }
    auto require = [this](const Network& network, std::string_view networkName,
                          const std::string& id, std::string_view key, const std::string& address,
                          std::string_view serves) -> std::optional<TopologyError> {
      if (network.contains(address)) return std::nullopt;
      return fault(keyLine(id, key), std::string(key) + " " + address + " of " + inQuotes(id) +
                                         " is outside the " + std::string(networkName) +
                                         " network " + network.toString() + " (it serves " +
                                         std::string(serves) + ")");
    };
    std::optional<TopologyError> error;
    for (const Utility& u : topology_.utilities_) {
      if (u.customerAddress) {
        error = require(customer, "customer-facing", u.id, "customer-address", *u.customerAddress,
                        "the Gateway");
        if (error) return error;
      }
      error =
          require(firm, "firm-side", u.id, "firm-address", u.firmAddress, "admin and replication");
      if (error) return error;
    }
    for (const Broker& b : topology_.brokers_) {
      error =
          b.bus == Bus::kCustomer
              ? require(customer, "customer-facing", b.id, "address", b.address, "the customer bus")
              : require(firm, "firm-side", b.id, "address", b.address, "the firm bus");
      if (error) return error;
      error = require(firm, "firm-side", b.id, "firm-address", b.firmAddress, "admin");
      if (error) return error;
    }
    for (const Exchange& x : topology_.exchanges_) {
      error = require(firm, "firm-side", x.id, "firm-address", x.firmAddress, "FIX");
      if (error) return error;
    }
    return std::nullopt;
  }

  // Exactly one firm utility; group indexes unique.
  std::optional<TopologyError> checkUtilities() const {
    const Utility* firm = nullptr;
    std::map<uint32_t, const Utility*> byIndex;
    for (const Utility& u : topology_.utilities_) {  // file order
      if (u.role == Role::kFirm) {
        if (firm != nullptr) {
          return fault(u.line, "more than one firm utility: " + inQuotes(u.id) + " (the first is " +
                                   inQuotes(firm->id) + " at line " + std::to_string(firm->line) +
                                   ")");
        }
        firm = &u;
      }
      auto [it, inserted] = byIndex.emplace(u.groupIndex, &u);
      if (!inserted) {
        return fault(keyLine(u.id, "group-index"),
                     "duplicate group-index " + std::to_string(u.groupIndex) + " in " +
                         inQuotes(u.id) + " (already used by " + inQuotes(it->second->id) +
                         " at line " + std::to_string(keyLine(it->second->id, "group-index")) +
                         ")");
      }
    }
    if (firm == nullptr) return fault("no firm utility (a section with role = firm)");
    return std::nullopt;
  }

  // One broker per bus, both buses present.
  std::optional<TopologyError> checkBrokers() const {
    for (Bus bus : {Bus::kCustomer, Bus::kFirm}) {
      const Broker* first = nullptr;
      for (const Broker& b : topology_.brokers_) {
        if (b.bus != bus) continue;
        if (first != nullptr) {
          return fault(b.line, "more than one broker for the " + std::string(busName(bus)) +
                                   " bus: " + inQuotes(b.id) + " (the first is " +
                                   inQuotes(first->id) + " at line " + std::to_string(first->line) +
                                   ")");
        }
        first = &b;
      }
      if (first == nullptr) {
        return fault("no broker for the " + std::string(busName(bus)) +
                     " bus (a section with role = broker, bus = " + std::string(busName(bus)) +
                     ")");
      }
    }
    return std::nullopt;
  }

  // Every street venue names an exchange of this topology, once.
  std::optional<TopologyError> checkVenues() const {
    for (const Utility& u : topology_.utilities_) {
      for (size_t i = 0; i < u.venues.size(); ++i) {
        const std::string& venue = u.venues[i];
        size_t earlier =
            static_cast<size_t>(std::count(u.venues.begin(), u.venues.begin() + i, venue));
        int line = venueLine(u.id, venue, earlier);
        if (earlier > 0) {
          return fault(line, "venue " + inQuotes(venue) + " is listed twice in " + inQuotes(u.id));
        }
        if (topology_.findExchange(venue) == nullptr) {
          std::string known;
          for (const Exchange& x : topology_.exchanges_) {
            known += (known.empty() ? "" : ", ") + x.id;
          }
          return fault(line, "venue " + inQuotes(venue) + " of " + inQuotes(u.id) +
                                 " names no exchange (the exchanges are " +
                                 (known.empty() ? "none" : known) + ")");
        }
      }
    }
    return std::nullopt;
  }

  // No two services on one address:port.
  std::optional<TopologyError> checkEndpoints() const {
    struct Endpoint {
      uint32_t address;
      uint16_t port;
      std::string owner;
      std::string service;
      int line;
    };
    std::vector<Endpoint> endpoints;
    auto add = [&](const std::string& address, uint16_t port, const std::string& owner,
                   std::string service, std::string_view key) {
      endpoints.push_back(
          {*parseIpv4(address), port, owner, std::move(service), keyLine(owner, key)});
    };
    for (const Utility& u : topology_.utilities_) {
      if (u.customerAddress) {
        add(*u.customerAddress, u.gatewayPort, u.id, "gateway", "gateway-port");
      }
      add(u.firmAddress, u.adminPort, u.id, "admin", "admin-port");
      add(u.firmAddress, u.replicationPort, u.id, "replication", "replication-port");
    }
    for (const Broker& b : topology_.brokers_) {
      std::string bus(busName(b.bus));
      add(b.address, b.publishPort, b.id, bus + " bus publish", "publish-port");
      add(b.address, b.subscribePort, b.id, bus + " bus subscribe", "subscribe-port");
      add(b.firmAddress, b.adminPort, b.id, "admin", "admin-port");
    }
    for (const Exchange& x : topology_.exchanges_) {
      add(x.firmAddress, x.fixPort, x.id, "FIX", "fix-port");
    }
    // Report each clash at the later line, naming the earlier user.
    std::stable_sort(endpoints.begin(), endpoints.end(),
                     [](const Endpoint& a, const Endpoint& b) { return a.line < b.line; });
    std::map<std::pair<uint32_t, uint16_t>, const Endpoint*> used;
    for (const Endpoint& e : endpoints) {
      auto [it, inserted] = used.emplace(std::make_pair(e.address, e.port), &e);
      if (inserted) continue;
      const Endpoint& first = *it->second;
      return fault(e.line, "endpoint " + formatIpv4(e.address) + ":" + std::to_string(e.port) +
                               " of " + inQuotes(e.owner) + " (" + e.service +
                               ") is already used by " + inQuotes(first.owner) + " (" +
                               first.service + ", line " + std::to_string(first.line) + ")");
    }
    return std::nullopt;
  }

  // ---- Lookups ----

  std::optional<Role> roleOf(const std::string& id) const {
    auto it = roles_.find(id);
    if (it == roles_.end()) return std::nullopt;
    return it->second;
  }

  // "cf1.admin-port" (Boost may prefix dashes) -> {"cf1", "admin-port"}.
  static std::pair<std::string, std::string> splitName(std::string name) {
    name.erase(0, name.find_first_not_of('-'));
    size_t dot = name.find('.');
    if (dot == std::string::npos) return {std::string(), name};
    return {name.substr(0, dot), name.substr(dot + 1)};
  }

  int sectionLine(const std::string& id) const {
    auto it = sections_.find(id);
    return it == sections_.end() ? 0 : it->second->line;
  }

  // The line of the occurrence-th `key` in section `id`; the header's line
  // when there is no such key.
  int keyLine(const std::string& id, std::string_view key, size_t occurrence = 0) const {
    auto it = sections_.find(id);
    if (it == sections_.end()) return 0;
    for (const ScannedKey& k : it->second->keys) {
      if (k.key == key && occurrence-- == 0) return k.line;
    }
    return it->second->line;
  }

  int venueLine(const std::string& id, const std::string& venue, size_t occurrence) const {
    auto it = sections_.find(id);
    if (it == sections_.end()) return 0;
    for (const ScannedKey& k : it->second->keys) {
      if (k.key == "venue" && k.value == venue && occurrence-- == 0) return k.line;
    }
    return keyLine(id, "venue");
  }

  std::string_view text_;
  std::string source_;
  Scan scan_;
  std::map<std::string, const ScannedSection*, std::less<>> sections_;  // by id, after checks
  std::map<std::string, std::string, std::less<>> roleNames_;           // id -> first `role` value
  std::map<std::string, Role, std::less<>> roles_;  // every section but [network]
  bool haveNetwork_ = false;
  Topology topology_;
};

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "customer";
    case Role::kStreet:
      return "street";
    case Role::kFirm:
      return "firm";
    case Role::kBroker:
      return "broker";
    case Role::kExchange:
      return "exchange";
  }
  return "unknown";
}

std::string_view busName(Bus bus) { return bus == Bus::kCustomer ? "customer" : "firm"; }

std::optional<uint32_t> parseIpv4(std::string_view text) {
  uint32_t address = 0;
  for (int octet = 0; octet < 4; ++octet) {
    size_t dot = text.find('.');
    if ((octet < 3) != (dot != std::string_view::npos)) return std::nullopt;
    std::optional<uint32_t> value = parseDecimal(text.substr(0, dot), 255);
    if (!value) return std::nullopt;
    address = (address << 8) | *value;
    text = octet < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return address;
}

std::string formatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

bool Network::contains(uint32_t ipv4) const {
  uint32_t mask = prefixLength == 0 ? 0 : ~uint32_t{0} << (32 - prefixLength);
  return (ipv4 & mask) == (address & mask);
}

bool Network::contains(std::string_view ipv4) const {
  std::optional<uint32_t> parsed = parseIpv4(ipv4);
  return parsed && contains(*parsed);
}

std::string Network::toString() const {
  return formatIpv4(address) + "/" + std::to_string(prefixLength);
}

std::variant<Topology, TopologyError> Topology::parse(std::string_view text,
                                                      std::string_view sourceName) {
  try {
    return TopologyParser(text, sourceName).run();
  } catch (const std::exception& e) {
    // Every fault of the file is reported by the parser as a value; this is
    // its own failure (out of memory, a Boost surprise): still refused, not thrown.
    return TopologyError{std::string(sourceName) + ": cannot parse the topology: " + e.what()};
  }
}

std::variant<Topology, TopologyError> Topology::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return TopologyError{"cannot read " + name + ": " +
                         (error ? error.message() : "not a regular file")};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return TopologyError{"cannot read " + name + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return TopologyError{"cannot read " + name + ": " + std::strerror(errno)};
  return parse(text.str(), name);
}

const Utility* Topology::findUtility(std::string_view id) const {
  for (const Utility& u : utilities_) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

const Broker* Topology::broker(Bus bus) const {
  for (const Broker& b : brokers_) {
    if (b.bus == bus) return &b;
  }
  return nullptr;
}

const Exchange* Topology::findExchange(std::string_view id) const {
  for (const Exchange& x : exchanges_) {
    if (x.id == id) return &x;
  }
  return nullptr;
}

}  // namespace triad::topology
