// The topology of a Triad deployment (DESIGN §1, §2): every node, its role and
// its addresses on the customer-facing and firm-side networks. It is the
// naming service: no daemon discovers a peer any other way.
//
// The file is INI syntax (etc/triad/topology.conf documents every key), read
// with Boost.Program_options' config-file parser. A topology that parses is
// also valid: every port is 1..65535, every endpoint is unique, every service listens on the
// network it belongs to, there is exactly one firm utility, one broker per bus, and every street
// venue names an exchange. A bad file is refused with a message naming the file, the line and the
// fault.
//
// Thread-safety: a Topology is immutable once parsed; share it freely.

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace triad::topology {

enum class Role { kCustomer, kStreet, kFirm, kBroker, kExchange };
enum class Bus { kCustomer, kFirm };

// The word used for the role or bus in the file ("customer", "firm", ...).
std::string_view roleName(Role role);
std::string_view busName(Bus bus);

// Group indexes are 0..kMaxGroups-1 (a group's index is also its owner's
// Berkeley DB environment id in replication).
inline constexpr uint32_t kMaxGroups = 64;

// A dotted-quad IPv4 address in host byte order; nullopt unless `text` is
// exactly four decimal octets 0..255.
std::optional<uint32_t> parseIpv4(std::string_view text);
std::string formatIpv4(uint32_t address);

struct Network {
  uint32_t address;  // host byte order, host bits zero
  uint8_t prefixLength;

  // False also when `ipv4` is not an IPv4 address.
  bool contains(std::string_view ipv4) const;
  bool contains(uint32_t address) const;
  std::string toString() const;  // "127.1.0.0/16"
};

// A customer, street or firm utility. Each owns exactly one ownership group,
// named by its id.
struct Utility {
  std::string id;
  Role role;
  uint32_t groupIndex;  // explicit `group-index`, unique across utilities, 0..63
  std::optional<std::string> customerAddress;  // customer utilities only
  std::string firmAddress;                     // every utility (firm-side network)
  uint16_t gatewayPort = 0;  // customer utilities only: Cap'n Proto Gateway on customerAddress
  uint16_t adminPort;        // Admin RPC on firmAddress
  // Where this site's replication transport listens, on firmAddress: one
  // endpoint for every group (DESIGN §2a).
  uint16_t replicationPort;
  std::vector<std::string> venues;  // street utilities only: exchange ids (repeatable `venue`)
  int line;                         // line of the [section] header
};

// A ZeroMQ bus (XSUB/XPUB proxy run by triad-brokerd), bound only on its
// bus's network.
struct Broker {
  std::string id;
  Bus bus;
  std::string address;      // bind address of both bus ports
  uint16_t publishPort;     // XSUB side: publishers connect here
  uint16_t subscribePort;   // XPUB side: subscribers connect here
  std::string firmAddress;  // Admin RPC
  uint16_t adminPort;
  int line;
};

// A FIX venue that street utilities connect to as initiators.
struct Exchange {
  std::string id;
  std::string firmAddress;
  uint16_t fixPort;
  std::string fixVersion;  // "FIX.4.2" or "FIX.4.4"
  int line;
  // What the venue does that the street utility must know (docs/operations.md,
  // "Venues"); each defaults to the cautious answer.
  // `poss-resend = honoured`: an order re-sent with PossResend (97) = Y whose
  // ClOrdID the venue knows is not executed twice. Default ignored: the
  // street never re-sends blindly to such a venue.
  bool honoursPossResend = false;
  // `order-status-request = supported`: the venue answers OrderStatusRequest
  // (35=H) with an ExecutionReport, ExecType I. Default unsupported.
  bool answersStatusRequests = false;
  // `answer-timeout`: seconds an order or a cancel may wait for the venue's
  // first answer before an alarm names it (default 10).
  uint32_t answerTimeoutSeconds = 10;
};

// Why a topology was refused: "<file>:<line>: <fault>", or "<file>: <fault>"
// for what is missing from the whole file (no firm utility, no [network]).
struct TopologyError {
  std::string message;
};

class Topology {
 public:
  // Parses and validates `text`; `sourceName` prefixes every error message.
  // Never throws.
  [[nodiscard]] static std::variant<Topology, TopologyError> parse(std::string_view text,
                                                                   std::string_view sourceName);
  // Reads and parses the file at `path`. Never throws.
  [[nodiscard]] static std::variant<Topology, TopologyError> load(
      const std::filesystem::path& path);

  const std::vector<Utility>& utilities() const { return utilities_; }  // group-index order
  const Utility* findUtility(std::string_view id) const;                // nullptr when absent

  const std::vector<Broker>& brokers() const { return brokers_; }  // file order
  const Broker* broker(Bus bus) const;  // never nullptr in a parsed topology

  const std::vector<Exchange>& exchanges() const { return exchanges_; }  // file order
  const Exchange* findExchange(std::string_view id) const;               // nullptr when absent

  const Network& customerFacing() const { return customerFacing_; }
  const Network& firmSide() const { return firmSide_; }

 private:
  friend class TopologyParser;
  Topology() = default;

  std::vector<Utility> utilities_;
  std::vector<Broker> brokers_;
  std::vector<Exchange> exchanges_;
  Network customerFacing_{};
  Network firmSide_{};
};

}  // namespace triad::topology
