#include "base/topology.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace triad::topology {
namespace {

// A small valid deployment; each fault test edits one thing in it.
constexpr std::string_view kBase = R"([network]
customer-facing = 127.1.0.0/16
firm-side = 127.2.0.0/16

[cf1]
role = customer
group-index = 0
customer-address = 127.1.0.1
firm-address = 127.2.0.1
gateway-port = 7100
admin-port = 7200
replication-port = 7300

[cf2]
role = customer
group-index = 1
customer-address = 127.1.0.2
firm-address = 127.2.0.2
gateway-port = 7100
admin-port = 7200
replication-port = 7300

[ss1]
role = street
group-index = 2
firm-address = 127.2.0.21
admin-port = 7200
replication-port = 7300
venue = xnys

[firm]
role = firm
group-index = 3
firm-address = 127.2.0.10
admin-port = 7200
replication-port = 7300

[bus-customer]
role = broker
bus = customer
address = 127.1.0.250
publish-port = 7400
subscribe-port = 7401
firm-address = 127.2.0.250
admin-port = 7200

[bus-firm]
role = broker
bus = firm
address = 127.2.0.251
publish-port = 7400
subscribe-port = 7401
firm-address = 127.2.0.251
admin-port = 7200

[xnys]
role = exchange
firm-address = 127.2.0.41
fix-port = 9876
fix-version = FIX.4.4
)";

// `text` with the first `from` replaced by `to`; `from` must be present.
std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string result(text);
  size_t at = result.find(from);
  EXPECT_NE(at, std::string::npos) << "no '" << from << "' to replace";
  if (at != std::string::npos) result.replace(at, from.size(), to);
  return result;
}

// The 1-based line of the first `snippet` in `text` (0 if absent).
int lineOf(std::string_view text, std::string_view snippet) {
  size_t at = text.find(snippet);
  EXPECT_NE(at, std::string::npos) << "no '" << snippet << "' in the text";
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// Expects `text` refused with a message "t.conf:<line>: ..." (or "t.conf: ..."
// when line is 0) that contains `fault`.
::testing::AssertionResult refused(std::string_view text, int line, std::string_view fault) {
  auto result = Topology::parse(text, "t.conf");
  if (!std::holds_alternative<TopologyError>(result)) {
    return ::testing::AssertionFailure() << "accepted:\n" << text;
  }
  const std::string& message = std::get<TopologyError>(result).message;
  std::string prefix = line > 0 ? "t.conf:" + std::to_string(line) + ": " : "t.conf: ";
  if (message.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure() << "expected prefix '" << prefix << "', got: " << message;
  }
  if (message.find(fault) == std::string::npos) {
    return ::testing::AssertionFailure() << "expected '" << fault << "' in: " << message;
  }
  return ::testing::AssertionSuccess() << message;
}

// The parsed topology, or nullopt (and a test failure naming the fault).
std::optional<Topology> parsed(std::string_view text) {
  auto result = Topology::parse(text, "t.conf");
  if (auto* error = std::get_if<TopologyError>(&result)) {
    ADD_FAILURE() << error->message;
    return std::nullopt;
  }
  return std::get<Topology>(std::move(result));
}

std::filesystem::path sourceDir() {
  if (const char* dir = std::getenv("TRIAD_SOURCE_DIR")) return dir;
  return TRIAD_DEFAULT_SOURCE_DIR;  // when run by hand, outside ctest
}

// ---- The default deployment ---------------------------------------------------

TEST(TopologyTest, DefaultFileParses) {
  auto result = Topology::load(sourceDir() / "etc/triad/topology.conf");
  ASSERT_TRUE(std::holds_alternative<Topology>(result)) << std::get<TopologyError>(result).message;
  const Topology& topology = std::get<Topology>(result);

  EXPECT_EQ(topology.customerFacing().toString(), "127.1.0.0/16");
  EXPECT_EQ(topology.firmSide().toString(), "127.2.0.0/16");

  const std::vector<std::string> ids = {"cf1", "cf2", "cf3", "ss1", "ss2", "firm"};
  ASSERT_EQ(topology.utilities().size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Utility& u = topology.utilities()[i];
    EXPECT_EQ(u.id, ids[i]);
    EXPECT_EQ(u.groupIndex, i);
    EXPECT_EQ(u.adminPort, 7200);
    EXPECT_EQ(u.replicationPort, 7300);
  }
  const Utility* cf2 = topology.findUtility("cf2");
  ASSERT_NE(cf2, nullptr);
  EXPECT_EQ(cf2->role, Role::kCustomer);
  EXPECT_EQ(cf2->customerAddress, "127.1.0.2");
  EXPECT_EQ(cf2->firmAddress, "127.2.0.2");
  EXPECT_EQ(cf2->gatewayPort, 7100);

  const Utility* ss1 = topology.findUtility("ss1");
  const Utility* ss2 = topology.findUtility("ss2");
  ASSERT_NE(ss1, nullptr);
  ASSERT_NE(ss2, nullptr);
  EXPECT_EQ(ss1->role, Role::kStreet);
  EXPECT_EQ(ss1->firmAddress, "127.2.0.21");
  EXPECT_FALSE(ss1->customerAddress.has_value());
  EXPECT_EQ(ss1->gatewayPort, 0);
  EXPECT_EQ(ss1->venues, std::vector<std::string>{"xnys"});
  EXPECT_EQ(ss2->venues, std::vector<std::string>{"xlon"});

  const Utility* firm = topology.findUtility("firm");
  ASSERT_NE(firm, nullptr);
  EXPECT_EQ(firm->role, Role::kFirm);
  EXPECT_EQ(firm->groupIndex, 5u);
  EXPECT_EQ(firm->firmAddress, "127.2.0.10");

  const Broker* customerBus = topology.broker(Bus::kCustomer);
  const Broker* firmBus = topology.broker(Bus::kFirm);
  ASSERT_NE(customerBus, nullptr);
  ASSERT_NE(firmBus, nullptr);
  EXPECT_EQ(customerBus->id, "bus-customer");
  EXPECT_EQ(customerBus->address, "127.1.0.250");
  EXPECT_EQ(customerBus->publishPort, 7400);
  EXPECT_EQ(customerBus->subscribePort, 7401);
  EXPECT_EQ(customerBus->firmAddress, "127.2.0.250");
  EXPECT_EQ(firmBus->id, "bus-firm");
  EXPECT_EQ(firmBus->address, "127.2.0.250");
  EXPECT_EQ(firmBus->firmAddress, "127.2.0.250");

  ASSERT_EQ(topology.exchanges().size(), 2u);
  const Exchange* xnys = topology.findExchange("xnys");
  const Exchange* xlon = topology.findExchange("xlon");
  ASSERT_NE(xnys, nullptr);
  ASSERT_NE(xlon, nullptr);
  EXPECT_EQ(xnys->fixVersion, "FIX.4.4");
  EXPECT_EQ(xnys->firmAddress, "127.2.0.41");
  EXPECT_EQ(xnys->fixPort, 9876);
  EXPECT_EQ(xlon->fixVersion, "FIX.4.2");
  EXPECT_EQ(xlon->firmAddress, "127.2.0.42");

  // One replication endpoint per site, for every group.
  EXPECT_EQ(cf2->replicationPort, 7300);
  EXPECT_EQ(ss2->firmAddress, "127.2.0.22");
  EXPECT_EQ(ss2->replicationPort, 7300);
}

TEST(TopologyTest, HeaderLinesAreRecorded) {
  std::optional<Topology> parsedBase = parsed(kBase);
  ASSERT_TRUE(parsedBase);
  const Topology& topology = *parsedBase;
  EXPECT_EQ(topology.findUtility("cf1")->line, lineOf(kBase, "[cf1]"));
  EXPECT_EQ(topology.findUtility("firm")->line, lineOf(kBase, "[firm]"));
  EXPECT_EQ(topology.broker(Bus::kFirm)->line, lineOf(kBase, "[bus-firm]"));
  EXPECT_EQ(topology.findExchange("xnys")->line, lineOf(kBase, "[xnys]"));
}

TEST(TopologyTest, UtilitiesAreInGroupIndexOrderNotFileOrder) {
  std::string text = replaced(kBase, "group-index = 0", "group-index = 7");
  text = replaced(text, "[firm]\nrole = firm\ngroup-index = 3",
                  "[firm]\nrole = firm\ngroup-index = 0");
  std::optional<Topology> parsedText = parsed(text);
  ASSERT_TRUE(parsedText);
  const Topology& topology = *parsedText;
  std::vector<std::string> ids;
  for (const Utility& u : topology.utilities()) ids.push_back(u.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"firm", "cf2", "ss1", "cf1"}));
  EXPECT_EQ(topology.findUtility("cf1")->groupIndex, 7u);
}

TEST(TopologyTest, LookupsOfAbsentNamesReturnNull) {
  std::optional<Topology> parsedBase = parsed(kBase);
  ASSERT_TRUE(parsedBase);
  const Topology& topology = *parsedBase;
  EXPECT_EQ(topology.findUtility("cf9"), nullptr);
  EXPECT_EQ(topology.findUtility("xnys"), nullptr);  // an exchange is not a utility
  EXPECT_EQ(topology.findExchange("xlon"), nullptr);
  EXPECT_EQ(topology.findExchange("cf1"), nullptr);
}

TEST(TopologyTest, CommentsBlanksAndCrLfAreAccepted) {
  std::string text = replaced(kBase, "admin-port = 7200\n", "  admin-port\t=\t7201   # admin\r\n");
  text = "# a comment\r\n\r\n" + text;
  std::optional<Topology> parsedText = parsed(text);
  ASSERT_TRUE(parsedText);
  const Topology& topology = *parsedText;
  EXPECT_EQ(topology.findUtility("cf1")->adminPort, 7201);
  EXPECT_EQ(topology.findUtility("cf1")->line, lineOf(text, "[cf1]"));
}

TEST(TopologyTest, SeveralVenuesForOneStreetUtility) {
  std::string text = replaced(kBase, "venue = xnys\n", "venue = xnys\nvenue = xlon\n");
  text +=
      "\n[xlon]\nrole = exchange\nfirm-address = 127.2.0.42\nfix-port = 9876\n"
      "fix-version = FIX.4.2\n";
  std::optional<Topology> parsedText = parsed(text);
  ASSERT_TRUE(parsedText);
  const Topology& topology = *parsedText;
  EXPECT_EQ(topology.findUtility("ss1")->venues, (std::vector<std::string>{"xnys", "xlon"}));
}

TEST(TopologyTest, VenueBehaviourDefaultsToTheCautiousAnswer) {
  std::optional<Topology> plain = parsed(kBase);
  ASSERT_TRUE(plain);
  const Exchange* xnys = plain->findExchange("xnys");
  ASSERT_NE(xnys, nullptr);
  EXPECT_FALSE(xnys->honoursPossResend);
  EXPECT_FALSE(xnys->answersStatusRequests);
  EXPECT_EQ(xnys->answerTimeoutSeconds, 10u);

  std::string text = replaced(kBase, "fix-version = FIX.4.4",
                              "fix-version = FIX.4.4\nposs-resend = honoured\n"
                              "order-status-request = supported\nanswer-timeout = 3");
  std::optional<Topology> described = parsed(text);
  ASSERT_TRUE(described);
  xnys = described->findExchange("xnys");
  EXPECT_TRUE(xnys->honoursPossResend);
  EXPECT_TRUE(xnys->answersStatusRequests);
  EXPECT_EQ(xnys->answerTimeoutSeconds, 3u);
}

TEST(TopologyTest, Ipv4AndNetworks) {
  EXPECT_EQ(parseIpv4("127.1.0.1"), 0x7f010001u);
  EXPECT_EQ(parseIpv4("0.0.0.0"), 0u);
  EXPECT_EQ(parseIpv4("255.255.255.255"), 0xffffffffu);
  for (std::string_view bad : {"", "127.1.0", "127.1.0.1.", "127.1.0.256", "127.01.0.1", "a.b.c.d",
                               "127.1.0.-1", "127..0.1", " 127.1.0.1"}) {
    EXPECT_FALSE(parseIpv4(bad).has_value()) << bad;
  }
  EXPECT_EQ(formatIpv4(0x7f020019u), "127.2.0.25");

  Network network{0x7f010000u, 16};
  EXPECT_EQ(network.toString(), "127.1.0.0/16");
  EXPECT_TRUE(network.contains("127.1.200.3"));
  EXPECT_FALSE(network.contains("127.2.0.1"));
  EXPECT_FALSE(network.contains("not an address"));
  EXPECT_TRUE((Network{0, 0}).contains("10.0.0.1"));
  EXPECT_TRUE((Network{0x7f020019u, 32}).contains("127.2.0.25"));
  EXPECT_FALSE((Network{0x7f020019u, 32}).contains("127.2.0.26"));
}

TEST(TopologyTest, LoadNamesAMissingFile) {
  auto result = Topology::load("/nonexistent/topology.conf");
  ASSERT_TRUE(std::holds_alternative<TopologyError>(result));
  EXPECT_NE(std::get<TopologyError>(result).message.find("cannot read /nonexistent/topology.conf"),
            std::string::npos)
      << std::get<TopologyError>(result).message;
}

// ---- Faults: each names its line and what is wrong -------------------------------

TEST(TopologyFaultTest, SyntaxError) {
  std::string text = replaced(kBase, "gateway-port = 7100", "gateway-port 7100");
  EXPECT_TRUE(
      refused(text, lineOf(text, "gateway-port 7100"),
              "syntax error: 'gateway-port 7100' is neither a [section] header nor key = value"));
}

TEST(TopologyFaultTest, KeyWithoutName) {
  std::string text = replaced(kBase, "gateway-port = 7100", "= 7100");
  EXPECT_TRUE(refused(text, lineOf(text, "= 7100"), "syntax error: '= 7100' has no key name"));
}

TEST(TopologyFaultTest, KeyOutsideAnySection) {
  std::string text = "stray = 1\n" + std::string(kBase);
  EXPECT_TRUE(refused(text, 1, "key 'stray' is outside any [section]"));
}

TEST(TopologyFaultTest, BadId) {
  std::string text = replaced(kBase, "[cf2]", "[cf.2]");
  EXPECT_TRUE(refused(text, lineOf(text, "[cf.2]"), "bad id 'cf.2'"));
}

TEST(TopologyFaultTest, DuplicateId) {
  std::string text = std::string(kBase) +
                     "\n[cf1]\nrole = customer\ngroup-index = 9\ncustomer-address = 127.1.0.9\n";
  int second = lineOf(text, "group-index = 9") - 2;
  EXPECT_TRUE(refused(text, second, "duplicate id 'cf1' (first defined at line 5)"));
}

TEST(TopologyFaultTest, MissingRole) {
  std::string text = replaced(kBase, "[ss1]\nrole = street\n", "[ss1]\n");
  EXPECT_TRUE(refused(text, lineOf(text, "[ss1]"), "'ss1' has no role"));
}

TEST(TopologyFaultTest, UnknownRole) {
  std::string text = replaced(kBase, "role = street", "role = streets");
  EXPECT_TRUE(refused(text, lineOf(text, "role = streets"), "unknown role 'streets' for 'ss1'"));
}

TEST(TopologyFaultTest, MissingRequiredKey) {
  std::string text = replaced(
      kBase, "[firm]\nrole = firm\ngroup-index = 3\nfirm-address = 127.2.0.10\nadmin-port = 7200\n",
      "[firm]\nrole = firm\ngroup-index = 3\nfirm-address = 127.2.0.10\n");
  EXPECT_TRUE(refused(text, lineOf(text, "[firm]"),
                      "'firm' (a firm utility) is missing required key 'admin-port'"));
}

TEST(TopologyFaultTest, StreetUtilityWithoutVenue) {
  std::string text = replaced(kBase, "venue = xnys\n", "");
  EXPECT_TRUE(refused(text, lineOf(text, "[ss1]"),
                      "'ss1' (a street utility) is missing required key 'venue'"));
}

TEST(TopologyFaultTest, MissingNetworkKey) {
  std::string text = replaced(kBase, "firm-side = 127.2.0.0/16\n", "");
  EXPECT_TRUE(refused(text, 1, "[network] is missing required key 'firm-side'"));
}

TEST(TopologyFaultTest, UnknownKeyForRole) {
  std::string text =
      replaced(kBase, "[ss1]\nrole = street\n", "[ss1]\nrole = street\ngateway-port = 7100\n");
  EXPECT_TRUE(refused(text, lineOf(text, "[ss1]") + 2,
                      "unknown key 'gateway-port' for 'ss1' (a street utility; its keys are role, "
                      "group-index, firm-address, admin-port, replication-port, venue)"));
}

TEST(TopologyFaultTest, RoleInTheNetworkSection) {
  std::string text = replaced(kBase, "[network]\n", "[network]\nrole = firm\n");
  EXPECT_TRUE(refused(text, 2,
                      "unknown key 'role' for [network] (the networks; its keys are "
                      "customer-facing, firm-side)"));
}

TEST(TopologyFaultTest, MisspelledKey) {
  std::string text = replaced(kBase, "fix-version = FIX.4.4", "fix_version = FIX.4.4");
  EXPECT_TRUE(refused(text, lineOf(text, "fix_version"), "unknown key 'fix_version' for 'xnys'"));
}

TEST(TopologyFaultTest, RepeatedKey) {
  std::string text =
      replaced(kBase, "[cf2]\nrole = customer\n", "[cf2]\nrole = customer\nrole = street\n");
  int first = lineOf(text, "[cf2]") + 1;
  EXPECT_TRUE(
      refused(text, first + 1,
              "key 'role' is given twice in 'cf2' (first at line " + std::to_string(first) + ")"));
}

TEST(TopologyFaultTest, BadPortZero) {
  std::string text = replaced(kBase, "admin-port = 7200", "admin-port = 0");
  EXPECT_TRUE(refused(text, lineOf(text, "admin-port = 0"),
                      "bad port '0' for 'admin-port' of 'cf1': must be a number 1..65535"));
}

TEST(TopologyFaultTest, BadPortTooLarge) {
  std::string text = replaced(kBase, "fix-port = 9876", "fix-port = 65536");
  EXPECT_TRUE(
      refused(text, lineOf(text, "fix-port = 65536"), "bad port '65536' for 'fix-port' of 'xnys'"));
}

TEST(TopologyFaultTest, BadPortNotANumber) {
  std::string text = replaced(kBase, "subscribe-port = 7401", "subscribe-port = 74o1");
  EXPECT_TRUE(refused(text, lineOf(text, "74o1"),
                      "bad port '74o1' for 'subscribe-port' of 'bus-customer'"));
}

TEST(TopologyFaultTest, BadPortNegative) {
  // Boost's lexical_cast would wrap "-1" to 65535: ports are checked by Triad's own validator.
  std::string text = replaced(kBase, "gateway-port = 7100", "gateway-port = -1");
  EXPECT_TRUE(refused(text, lineOf(text, "gateway-port = -1"),
                      "bad port '-1' for 'gateway-port' of 'cf1'"));
}

TEST(TopologyFaultTest, BadIpv4Address) {
  std::string text = replaced(kBase, "firm-address = 127.2.0.21", "firm-address = 127.2.0.321");
  EXPECT_TRUE(refused(text, lineOf(text, "127.2.0.321"),
                      "bad IPv4 address '127.2.0.321' for 'firm-address' of 'ss1'"));
}

TEST(TopologyFaultTest, BadNetwork) {
  std::string text =
      replaced(kBase, "customer-facing = 127.1.0.0/16", "customer-facing = 127.1.0.0/33");
  EXPECT_TRUE(refused(text, 2, "bad network '127.1.0.0/33' for 'customer-facing' of [network]"));
  text = replaced(kBase, "customer-facing = 127.1.0.0/16", "customer-facing = 127.1.0.7/16");
  EXPECT_TRUE(refused(text, 2, "host bits set (did you mean 127.1.0.0/16?)"));
}

TEST(TopologyFaultTest, BadGroupIndex) {
  std::string text = replaced(kBase, "group-index = 1", "group-index = 64");
  EXPECT_TRUE(refused(text, lineOf(text, "group-index = 64"),
                      "bad group-index '64' for 'group-index' of 'cf2': must be a number 0..63"));
}

TEST(TopologyFaultTest, BadBus) {
  std::string text = replaced(kBase, "bus = firm", "bus = street");
  EXPECT_TRUE(
      refused(text, lineOf(text, "bus = street"), "bad bus 'street' for 'bus' of 'bus-firm'"));
}

TEST(TopologyFaultTest, BadFixVersion) {
  std::string text = replaced(kBase, "fix-version = FIX.4.4", "fix-version = FIX.5.0");
  EXPECT_TRUE(refused(
      text, lineOf(text, "FIX.5.0"),
      "bad fix-version 'FIX.5.0' for 'fix-version' of 'xnys': expected FIX.4.2 or FIX.4.4"));
}

TEST(TopologyFaultTest, BadVenueBehaviour) {
  std::string text =
      replaced(kBase, "fix-version = FIX.4.4", "fix-version = FIX.4.4\nposs-resend = maybe");
  EXPECT_TRUE(
      refused(text, lineOf(text, "maybe"),
              "bad poss-resend 'maybe' for 'poss-resend' of 'xnys': expected honoured or ignored"));
  text = replaced(kBase, "fix-version = FIX.4.4", "fix-version = FIX.4.4\nanswer-timeout = 0");
  EXPECT_TRUE(refused(text, lineOf(text, "answer-timeout = 0"),
                      "bad answer-timeout '0' for 'answer-timeout' of 'xnys'"));
}

TEST(TopologyFaultTest, DuplicateGroupIndex) {
  std::string text = replaced(kBase, "group-index = 2", "group-index = 0");
  EXPECT_TRUE(refused(text, lineOf(text, "[ss1]") + 2,
                      "duplicate group-index 0 in 'ss1' (already used by 'cf1' at line 7)"));
}

TEST(TopologyFaultTest, TwoServicesOnOneEndpoint) {
  // ss1's admin port on the FIX acceptor's address and port.
  std::string text = replaced(kBase, "[xnys]\nrole = exchange\nfirm-address = 127.2.0.41",
                              "[xnys]\nrole = exchange\nfirm-address = 127.2.0.21");
  text = replaced(text, "fix-port = 9876", "fix-port = 7200");
  EXPECT_TRUE(refused(text, lineOf(text, "fix-port = 7200"),
                      "endpoint 127.2.0.21:7200 of 'xnys' (FIX) is already used by 'ss1' (admin, "
                      "line " +
                          std::to_string(lineOf(text, "[ss1]") + 4) + ")"));
}

TEST(TopologyFaultTest, AdminPortOnTheReplicationPort) {
  std::string text = replaced(
      kBase,
      "[cf2]\nrole = customer\ngroup-index = 1\ncustomer-address = 127.1.0.2\nfirm-address = "
      "127.2.0.2\ngateway-port = 7100\nadmin-port = 7200\nreplication-port = 7300",
      "[cf2]\nrole = customer\ngroup-index = 1\ncustomer-address = 127.1.0.2\nfirm-address = "
      "127.2.0.2\ngateway-port = 7100\nreplication-port = 7300\nadmin-port = 7300");
  EXPECT_TRUE(refused(text, lineOf(text, "admin-port = 7300"),
                      "endpoint 127.2.0.2:7300 of 'cf2' (admin) is already used by 'cf2' "
                      "(replication, line " +
                          std::to_string(lineOf(text, "admin-port = 7300") - 1) + ")"));
}

TEST(TopologyFaultTest, TwoReplicationEndpointsOnOneAddress) {
  // cf2 moves onto cf1's firm address and replication port.
  std::string text = replaced(
      kBase,
      "firm-address = 127.2.0.2\ngateway-port = 7100\nadmin-port = 7200\nreplication-port = 7300",
      "firm-address = 127.2.0.1\ngateway-port = 7100\nadmin-port = 7201\nreplication-port = 7300");
  EXPECT_TRUE(refused(text, lineOf(text, "admin-port = 7201") + 1,
                      "endpoint 127.2.0.1:7300 of 'cf2' (replication) is already "
                      "used by 'cf1' (replication, line 12)"));
}

TEST(TopologyFaultTest, BrokerPublishAndSubscribeOnOnePort) {
  std::string text = replaced(kBase, "subscribe-port = 7401", "subscribe-port = 7400");
  EXPECT_TRUE(refused(text, lineOf(text, "subscribe-port = 7400"),
                      "endpoint 127.1.0.250:7400 of 'bus-customer' (customer bus subscribe) is "
                      "already used by 'bus-customer' (customer bus publish"));
}

TEST(TopologyFaultTest, FirmSideServiceOutsideFirmSideNetwork) {
  std::string text = replaced(kBase, "firm-address = 127.2.0.21", "firm-address = 127.1.0.21");
  EXPECT_TRUE(refused(text, lineOf(text, "127.1.0.21"),
                      "firm-address 127.1.0.21 of 'ss1' is outside the firm-side network "
                      "127.2.0.0/16 (it serves admin and replication)"));
}

TEST(TopologyFaultTest, FirmBusOutsideFirmSideNetwork) {
  std::string text = replaced(kBase, "address = 127.2.0.251", "address = 127.1.0.251");
  EXPECT_TRUE(refused(text, lineOf(text, "address = 127.1.0.251"),
                      "address 127.1.0.251 of 'bus-firm' is outside the firm-side network "
                      "127.2.0.0/16 (it serves the firm bus)"));
}

TEST(TopologyFaultTest, FixOutsideFirmSideNetwork) {
  std::string text = replaced(kBase, "firm-address = 127.2.0.41", "firm-address = 10.0.0.41");
  EXPECT_TRUE(refused(text, lineOf(text, "10.0.0.41"), "(it serves FIX)"));
}

TEST(TopologyFaultTest, CustomerFacingServiceOutsideCustomerFacingNetwork) {
  std::string text =
      replaced(kBase, "customer-address = 127.1.0.2", "customer-address = 127.2.0.99");
  EXPECT_TRUE(refused(text, lineOf(text, "127.2.0.99"),
                      "customer-address 127.2.0.99 of 'cf2' is outside the customer-facing "
                      "network 127.1.0.0/16 (it serves the Gateway)"));
}

TEST(TopologyFaultTest, CustomerBusOutsideCustomerFacingNetwork) {
  std::string text = replaced(kBase, "address = 127.1.0.250", "address = 127.2.0.250");
  EXPECT_TRUE(refused(text, lineOf(text, "\naddress = 127.2.0.250") + 1,
                      "address 127.2.0.250 of 'bus-customer' is outside the customer-facing "
                      "network 127.1.0.0/16 (it serves the customer bus)"));
}

TEST(TopologyFaultTest, NetworksOverlap) {
  std::string text = replaced(kBase, "firm-side = 127.2.0.0/16", "firm-side = 127.0.0.0/8");
  EXPECT_TRUE(refused(text, 3,
                      "the customer-facing network 127.1.0.0/16 and the firm-side network "
                      "127.0.0.0/8 overlap"));
}

TEST(TopologyFaultTest, StreetUtilityWithCustomerAddress) {
  std::string text = replaced(kBase, "[ss1]\nrole = street\n",
                              "[ss1]\nrole = street\ncustomer-address = 127.1.0.21\n");
  EXPECT_TRUE(
      refused(text, lineOf(text, "127.1.0.21"),
              "'ss1' is a street utility: only customer utilities have a customer-address"));
}

TEST(TopologyFaultTest, FirmUtilityWithCustomerAddress) {
  std::string text = replaced(kBase, "[firm]\nrole = firm\n",
                              "[firm]\nrole = firm\ncustomer-address = 127.1.0.10\n");
  EXPECT_TRUE(refused(text, lineOf(text, "127.1.0.10"),
                      "'firm' is a firm utility: only customer utilities have a customer-address"));
}

TEST(TopologyFaultTest, MissingFirmUtility) {
  std::string text = replaced(kBase,
                              "[firm]\nrole = firm\ngroup-index = 3\nfirm-address = "
                              "127.2.0.10\nadmin-port = 7200\nreplication-port = 7300\n",
                              "");
  EXPECT_TRUE(refused(text, 0, "no firm utility"));
}

TEST(TopologyFaultTest, MoreThanOneFirmUtility) {
  std::string text = std::string(kBase) +
                     "\n[firm2]\nrole = firm\ngroup-index = 9\nfirm-address = 127.2.0.11\n"
                     "admin-port = 7200\nreplication-port = 7300\n";
  EXPECT_TRUE(refused(text, lineOf(text, "[firm2]"),
                      "more than one firm utility: 'firm2' (the first is 'firm' at line " +
                          std::to_string(lineOf(text, "[firm]")) + ")"));
}

TEST(TopologyFaultTest, MissingNetworkSection) {
  std::string text =
      replaced(kBase, "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n", "");
  EXPECT_TRUE(refused(text, 0, "no [network] section"));
}

TEST(TopologyFaultTest, VenueNamingNoExchange) {
  std::string text = replaced(kBase, "venue = xnys", "venue = xnyse");
  EXPECT_TRUE(refused(text, lineOf(text, "venue = xnyse"),
                      "venue 'xnyse' of 'ss1' names no exchange (the exchanges are xnys)"));
}

TEST(TopologyFaultTest, VenueNamingAUtility) {
  std::string text = replaced(kBase, "venue = xnys\n", "venue = xnys\nvenue = cf1\n");
  EXPECT_TRUE(refused(text, lineOf(text, "venue = cf1"), "venue 'cf1' of 'ss1' names no exchange"));
}

TEST(TopologyFaultTest, VenueListedTwice) {
  std::string text = replaced(kBase, "venue = xnys\n", "venue = xnys\nvenue = xnys\n");
  EXPECT_TRUE(
      refused(text, lineOf(text, "venue = xnys") + 1, "venue 'xnys' is listed twice in 'ss1'"));
}

TEST(TopologyFaultTest, NoBrokerForABus) {
  std::string text =
      replaced(kBase,
               "[bus-firm]\nrole = broker\nbus = firm\naddress = 127.2.0.251\npublish-port = "
               "7400\nsubscribe-port = 7401\nfirm-address = 127.2.0.251\nadmin-port = 7200\n",
               "");
  EXPECT_TRUE(refused(text, 0, "no broker for the firm bus"));
}

TEST(TopologyFaultTest, TwoBrokersForABus) {
  std::string text = replaced(kBase, "bus = firm", "bus = customer");
  text = replaced(text, "address = 127.2.0.251", "address = 127.1.0.251");
  EXPECT_TRUE(refused(text, lineOf(text, "[bus-firm]"),
                      "more than one broker for the customer bus: 'bus-firm' (the first is "
                      "'bus-customer' at line " +
                          std::to_string(lineOf(text, "[bus-customer]")) + ")"));
}

TEST(TopologyFaultTest, ReplicationPortZero) {
  std::string text = replaced(kBase,
                              "[firm]\nrole = firm\ngroup-index = 3\nfirm-address = "
                              "127.2.0.10\nadmin-port = 7200\nreplication-port = 7300",
                              "[firm]\nrole = firm\ngroup-index = 3\nfirm-address = "
                              "127.2.0.10\nadmin-port = 7200\nreplication-port = 0");
  std::variant<Topology, TopologyError> result = Topology::parse(text, "topology.conf");
  ASSERT_TRUE(std::holds_alternative<TopologyError>(result));
  EXPECT_NE(std::get<TopologyError>(result).message.find(
                "topology.conf:" + std::to_string(lineOf(text, "replication-port = 0"))),
            std::string::npos)
      << std::get<TopologyError>(result).message;
}

}  // namespace
}  // namespace triad::topology
