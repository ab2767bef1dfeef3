// A network partition and heal, then delay and loss on the firm-side links
// (issue 7, faults), with every host in its own network namespace
// (tests/integration/netns_deployment.h): the firm, cf1, cf2, ss1, the
// exchange and both brokers; the test is the operator in the hub.
//
// 1. Orders placed at cf1 and cf2 fill, and both see them alike.
// 2. cf2 is cut off from every other host (nft drops all but the operator's
//    traffic). Orders at cf1 keep being accepted and filled: the ack policy
//    (`one`, DESIGN §2) needs one replica of cf1's group and the firm and ss1
//    still hold one. cf2's readers answer from its replicas as they were
//    (claim 27, status derived locally): what was filled before still reads
//    filled there; what cf1 took since is not there yet (NOT_FOUND), and
//    cf2's view of cf1's group stays behind. An order placed at cf2 meanwhile
//    reaches no replica: it is refused with NOT_REPLICATED. Either cf2's
//    transport already knows its peers are gone and writes nothing, or it
//    commits, learns no one acknowledged, and withdraws the refused order
//    at once with a cancel request (written even with no replica
//    reachable), which ss1 closes as cancelled without sending it once
//    healed. The test checks that both utilities end up listing it alike:
//    absent, or cancelled with nothing filled.
// 3. Healed, cf2 converges: the same status as cf1 for every order.
// 4. Delay 20 ms and loss 2% on every host's firm-side link (tc netem; where
//    the kernel has no netem, loss alone by an nft random drop, and the test
//    says so) for a few seconds of orders at both utilities: all fill.
// Then the invariants of DESIGN §3 at every site (tests/support/invariants.h).

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/netns_deployment.h"
#include "tests/support/customer_session.h"
#include "tests/support/invariants.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::GatewayConnection;
using testing::NetnsLab;

constexpr int64_t kDollar = 1'000'000;
constexpr auto kPatience = 60s;

// One order's status as one customer utility derives it.
struct Seen {
  bool found = false;
  idl::ErrorCode error = idl::ErrorCode::INTERNAL;
  idl::OrderState state = idl::OrderState::PENDING_NEW;
  int64_t filled = 0;
  int64_t averagePriceMicros = 0;
  bool operator==(const Seen&) const = default;
};

std::string toString(const Seen& seen) {
  if (!seen.found) return "error " + std::to_string(static_cast<int>(seen.error));
  return "state " + std::to_string(static_cast<int>(seen.state)) + " filled " +
         std::to_string(seen.filled) + " avg " + std::to_string(seen.averagePriceMicros);
}

class PartitionTest : public ::testing::Test {
 protected:
  ~PartitionTest() noexcept override {}

  void SetUp() override {
    seed_ = std::random_device{}();
    std::printf("seed %u\n", seed_);
    random_.seed(seed_);
    inHub_ = std::make_unique<NetnsLab::Inside>(net_.lab, "hub");
    testing::Deployment& deployment = net_.deployment;
    deployment.startBroker("firm");
    deployment.startBroker("customer");
    deployment.startExchange("xtst");
    deployment.start("utilities/firm/triad-firmd", "firm");
    for (const char* id : {"cf1", "cf2"}) {
      deployment.start("utilities/customer/triad-customerd", id);
    }
    deployment.start("utilities/street/triad-streetd", "ss1");
    for (const char* id : {"firm", "cf1", "cf2", "ss1"}) {
      std::string lastError;
      admin_[id] = testing::connectWhenReady(io_, deployment.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment.log(id);
    }
    AdminConnection& firm = *admin_["firm"];
    testing::openFundedAccount(firm, "alice", 1'000'000);
    testing::routeEverySymbol(firm, "ss1", "xtst", 100);
    testing::waitForFirmReplicas(firm, {admin_["cf1"].get(), admin_["cf2"].get()});
    for (const char* id : {"cf1", "cf2"}) {
      gateways_[id] = std::make_unique<GatewayConnection>(io_, deployment.site(id));
      auto loggedIn = gateways_[id]->login("alice", "alice-secret");
      ASSERT_TRUE(std::holds_alternative<idl::Session::Client>(loggedIn))
          << std::get<std::string>(loggedIn);
      sessions_.emplace(id, std::get<idl::Session::Client>(kj::mv(loggedIn)));
    }
  }

  void TearDown() override {
    if (!HasFatalFailure()) {
      for (const std::string& violation :
           testing::awaitInvariants(io_, net_.deployment, "firm", {"cf1", "cf2"})) {
        ADD_FAILURE() << violation;
      }
    }
    sessions_.clear();
    gateways_.clear();
    admin_.clear();
    testing::Deployment& deployment = net_.deployment;
    for (const char* id : {"cf1", "cf2", "ss1", "firm"}) {
      deployment.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment.process(id).wait(60s), 0) << id << "\n" << deployment.log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer", "xtst"}) {
      deployment.process(id).kill(SIGTERM);
      deployment.process(id).wait(30s);
    }
    inHub_.reset();
  }

  // Places a buy of ACME at `id`: the order id, or the refusal.
  std::variant<std::string, idl::ErrorCode> place(const std::string& id, int64_t quantity) {
    auto request = sessions_.at(id).placeOrderRequest();
    const std::string clientId = id + "-" + std::to_string(++placed_);
    testing::fillLimitBuy(request.initRequest(), clientId, quantity, 101 * kDollar);
    auto answer = gateways_.at(id)->wait(request.send());
    if (answer.getResult().isError()) {
      std::printf("%s refused %s: %s\n", id.c_str(), clientId.c_str(),
                  answer.getResult().getError().getReason().cStr());
      return answer.getResult().getError().getCode();
    }
    return std::string(answer.getResult().getStatus().getOrder().getId().cStr());
  }

  // Places an order that must be accepted; its id.
  std::string placeAccepted(const std::string& id) {
    auto placed = place(id, std::uniform_int_distribution<int64_t>(1, 20)(random_));
    EXPECT_TRUE(std::holds_alternative<std::string>(placed)) << id << logs();
    if (!std::holds_alternative<std::string>(placed)) return "";
    orders_.push_back(std::get<std::string>(placed));
    return orders_.back();
  }

  Seen status(const std::string& id, const std::string& orderId) {
    auto request = sessions_.at(id).orderStatusRequest();
    request.setOrderId(orderId);
    auto answer = gateways_.at(id)->wait(request.send());
    Seen seen;
    if (answer.getResult().isError()) {
      seen.error = answer.getResult().getError().getCode();
      return seen;
    }
    auto s = answer.getResult().getStatus();
    return {true, idl::ErrorCode::INTERNAL, s.getState(), s.getFilledQuantity(),
            s.getAveragePriceMicros()};
  }

  // Polls `id` until `orderId` is filled there (or kPatience passes).
  Seen filledAt(const std::string& id, const std::string& orderId) {
    Seen seen;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    do {
      seen = status(id, orderId);
      if (seen.found && seen.state == idl::OrderState::FILLED) break;
      pump(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return seen;
  }

  // Every order filled at both utilities, alike.
  void expectAllFilledAlike() {
    for (const std::string& orderId : orders_) {
      const Seen atCf1 = filledAt("cf1", orderId);
      EXPECT_EQ(atCf1.state, idl::OrderState::FILLED) << orderId << " " << toString(atCf1);
      const Seen atCf2 = filledAt("cf2", orderId);
      EXPECT_EQ(atCf1, atCf2) << orderId << ": cf1 " << toString(atCf1) << ", cf2 "
                              << toString(atCf2);
    }
  }

  uint64_t commitOf(const std::string& site, const std::string& group) {
    auto response = admin_.at(site)->call((*admin_.at(site))->groupsRequest());
    for (idl::GroupStatus::Reader status : response.getGroups()) {
      if (status.getGroup() == group) return status.getCommitSequence();
    }
    return 0;
  }

  // What each customer utility lists for the order cf2 refused during the
  // partition (it was committed at cf2 all the same: see the header).
  void reportRefused(const char* when) {
    for (const char* id : {"cf1", "cf2"}) {
      refusedFate_[id] = "not listed";
      auto list = sessions_.at(id).listOrdersRequest();
      list.setOpenOnly(false);
      auto listed = gateways_.at(id)->wait(list.send());
      for (auto order : listed.getOrders()) {
        if (order.getOrder().getClientOrderId() == refusedClientId_) {
          refusedFate_[id] =
              std::string(order.getOrder().getId().cStr()) + " " + testing::describeStatus(order);
        }
      }
      std::printf("%s, %s lists the order refused with NOT_REPLICATED as: %s\n", when, id,
                  refusedFate_[id].c_str());
    }
  }

  void pump(std::chrono::milliseconds duration) {
    io_.provider->getTimer().afterDelay(duration.count() * kj::MILLISECONDS).wait(io_.waitScope);
  }

  // Every host namespace but the hub and the customer's machine.
  std::vector<std::string> hosts() const {
    return {"firm", "cf1", "cf2", "ss1", "xtst", "bus-firm", "bus-customer"};
  }

  std::string logs() {
    std::string out;
    for (const char* id : {"cf1", "cf2", "ss1", "firm"}) {
      out += std::string("\n--- ") + id + "\n" + net_.deployment.log(id);
    }
    return out;
  }

  testing::NamespacedDeployment net_{{.customers = {"cf1", "cf2"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  unsigned seed_ = 0;
  std::mt19937 random_;
  std::unique_ptr<NetnsLab::Inside> inHub_;  // the test is the operator, in the hub
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  std::map<std::string, std::unique_ptr<GatewayConnection>> gateways_;
  std::map<std::string, idl::Session::Client> sessions_;
  std::vector<std::string> orders_;
  int placed_ = 0;
  std::string refusedClientId_;
  std::map<std::string, std::string> refusedFate_;  // by customer utility
};

TEST_F(PartitionTest, Cf2CutOffThenHealedConvergesAndDelayAndLossStillFill) {
  // 1. Before: orders at both fill and read alike at both.
  for (int i = 0; i < 4; ++i) placeAccepted(i % 2 == 0 ? "cf1" : "cf2");
  expectAllFilledAlike();
  ASSERT_FALSE(HasFailure()) << logs();
  const std::vector<std::string> before = orders_;

  // 2. cf2 cut off from every host; only the operator still reaches it.
  const std::string allowed =
      std::string("{ ") + testing::kOperatorCustomerSide + ", " + testing::kOperatorFirmSide + " }";
  net_.lab.nft("cf2",
               "table inet partition {\n"
               "  chain in { type filter hook input priority 0; policy accept;\n"
               "    iif lo accept; ip saddr " +
                   allowed +
                   " accept; drop; }\n"
                   "  chain out { type filter hook output priority 0; policy accept;\n"
                   "    oif lo accept; ip daddr " +
                   allowed + " accept; drop; }\n}\n");
  std::printf("cf2 partitioned\n");
  const uint64_t cf1AtCf2 = commitOf("cf2", "cf1");
  std::vector<std::string> during;
  for (int i = 0; i < 3; ++i) {
    during.push_back(placeAccepted("cf1"));
    const Seen seen = filledAt("cf1", during.back());
    EXPECT_EQ(seen.state, idl::OrderState::FILLED) << toString(seen) << logs();
  }
  EXPECT_GT(commitOf("cf1", "cf1"), cf1AtCf2);
  EXPECT_EQ(commitOf("cf2", "cf1"), cf1AtCf2) << "cf2 is cut off, yet follows cf1";
  // cf2's readers answer from what cf2 holds.
  for (const std::string& orderId : before) {
    const Seen seen = status("cf2", orderId);
    EXPECT_TRUE(seen.found && seen.state == idl::OrderState::FILLED) << toString(seen);
  }
  for (const std::string& orderId : during) {
    const Seen seen = status("cf2", orderId);
    EXPECT_FALSE(seen.found) << orderId << " " << toString(seen);
    EXPECT_EQ(seen.error, idl::ErrorCode::NOT_FOUND) << orderId;
  }
  // An order at cf2 reaches no replica: refused, typed.
  const auto refused = place("cf2", 5);
  refusedClientId_ = "cf2-" + std::to_string(placed_);
  ASSERT_TRUE(std::holds_alternative<idl::ErrorCode>(refused))
      << "cf2 accepted an order it could not replicate";
  EXPECT_EQ(std::get<idl::ErrorCode>(refused), idl::ErrorCode::NOT_REPLICATED);

  // 3. Healed: cf2 converges.
  net_.lab.nft("cf2", "delete table inet partition\n");
  std::printf("cf2 healed\n");
  expectAllFilledAlike();
  reportRefused("after healing");

  // 4. Delay and loss on every firm-side link.
  std::string impairment = "netem delay 20ms loss 2%";
  for (const std::string& host : hosts()) {
    std::string output;
    const int status =
        testing::runCommand({"/usr/sbin/tc", "-n", net_.lab.full(host), "qdisc", "add", "dev", "f0",
                             "root", "netem", "delay", "20ms", "loss", "2%"},
                            &output);
    if (status != 0) {
      // This kernel has no sch_netem: loss by nft alone (no delay).
      impairment =
          "nft random loss 2% (tc netem unavailable: " + output.substr(0, output.find('\n')) + ")";
      net_.lab.nft(host,
                   "table inet impair {\n"
                   "  chain out { type filter hook output priority 0; policy accept;\n"
                   "    oifname \"f0\" numgen random mod 100 < 2 drop; }\n"
                   "  chain in { type filter hook input priority 0; policy accept;\n"
                   "    iifname \"f0\" numgen random mod 100 < 2 drop; }\n}\n");
    }
  }
  std::printf("firm-side links impaired: %s\n", impairment.c_str());
  const auto until = std::chrono::steady_clock::now() + 4s;
  int impaired = 0;
  for (; std::chrono::steady_clock::now() < until; ++impaired) {
    placeAccepted(impaired % 2 == 0 ? "cf1" : "cf2");
    pump(100ms);
  }
  std::printf("%d orders placed while impaired\n", impaired);
  expectAllFilledAlike();
  for (const std::string& host : hosts()) {
    testing::runCommand(
        {"/usr/sbin/tc", "-n", net_.lab.full(host), "qdisc", "del", "dev", "f0", "root"});
    testing::runCommand({testing::ipProgram(), "netns", "exec", net_.lab.full(host),
                         "/usr/sbin/nft", "delete", "table", "inet", "impair"});
  }
  reportRefused("at the end");
  // Refused means it never went to market: either cf2 knew it had no
  // replica and wrote nothing, or it committed the order, learnt no one
  // acknowledged it, and withdrew it (closed unrouted, as cancelled).
  for (const char* id : {"cf1", "cf2"}) {
    const bool withdrawn =
        refusedFate_[id].find(" " + std::to_string(static_cast<int>(idl::OrderState::CANCELLED)) +
                              " filled 0 ") != std::string::npos;
    EXPECT_TRUE(withdrawn || refusedFate_[id] == "not listed")
        << id << " lists the refused order as " << refusedFate_[id];
  }
  EXPECT_EQ(refusedFate_["cf1"], refusedFate_["cf2"]) << "the refused order differs";
  std::printf("%zu orders in all, seed %u\n", orders_.size(), seed_);
}

}  // namespace
}  // namespace triad
