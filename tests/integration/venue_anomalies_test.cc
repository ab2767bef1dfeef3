// Venues that Triad did not write (issue 16), every part a real process on
// loopback: both buses, the exchange simulator in the venue modes that
// behave like them (triad-exchanged --only-limit-day, --no-cancel,
// --exec-ids-restart, --ignore-poss-resend, --no-status-requests,
// --no-market-data), the firm, a customer utility and a street utility.
//
// What it shows: an order or a cancel a venue refuses at session or business
// level ends with the venue's words, not stuck; an order that waits longer
// than its venue's answer-timeout is listed as stuck until it is answered;
// ExecIDs that start again at 1 after a venue restart are each recorded and
// booked once; a street restarted after a venue that ignores PossResend
// filled an order re-sends nothing (the order is filled once), and an order
// it cannot confirm is listed as unconfirmed instead of being sent again;
// and a subscriber of the customer bus sees venue status and halts. Each
// case ends with verify clean at the firm and the same order states at
// every site (testing::awaitInvariants).

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "brokers/bus_subscriber.h"
#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"
#include "tests/support/deployment.h"
#include "tests/support/invariants.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::connectWhenReady;
using testing::Deployment;
using testing::GatewayConnection;

constexpr int64_t kDollar = 1'000'000;
constexpr int kSigkilled = 128 + SIGKILL;  // ChildProcess::wait's status
constexpr auto kPatience = 60s;
// PossResend (97) = Y, as it stands in a FIX message log.
constexpr char kPossResend[] = "\00197=Y\001";

struct Venue {
  std::vector<std::string> modes;  // triad-exchanged's options
  bool honoursPossResend = true;   // as the topology says
  bool answersStatusRequests = true;
  std::vector<std::string> streetOptions{};
};

class VenueAnomaliesTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~VenueAnomaliesTest() noexcept override {}

  void start(const Venue& venue) {
    deployment_.emplace(
        testing::TestTopologyOptions{.customers = {"cf1"},
                                     .streets = {"ss1"},
                                     .venueHonoursPossResend = venue.honoursPossResend,
                                     .venueAnswersStatusRequests = venue.answersStatusRequests,
                                     .venueAnswerTimeoutSeconds = 2});
    venueModes_ = venue.modes;
    deployment_->startBroker("firm");
    deployment_->startBroker("customer");
    deployment_->startExchange("xtst", venueModes_);
    deployment_->start("utilities/firm/triad-firmd", "firm");
    deployment_->start("utilities/customer/triad-customerd", "cf1");
    deployment_->start("utilities/street/triad-streetd", "ss1", venue.streetOptions);
    for (const char* id : {"firm", "cf1", "ss1"}) connect(id);
    AdminConnection& firm = *admin_["firm"];
    testing::openFundedAccount(firm, "alice", 1'000'000);
    testing::routeEverySymbol(firm, "ss1", "xtst", 100);
    testing::waitForFirmReplicas(firm, {admin_["cf1"].get()});
  }

  void connect(const std::string& id) {
    std::string lastError;
    admin_[id] = connectWhenReady(io_, deployment_->site(id), 120s, &lastError);
    ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_->log(id);
  }

  void TearDown() override {
    if (!deployment_) return;
    if (!HasFatalFailure() && checkInvariants_) {
      for (const std::string& violation :
           testing::awaitInvariants(io_, *deployment_, "firm", {"cf1"})) {
        ADD_FAILURE() << violation;
      }
    }
    session_.reset();
    gateway_.reset();
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_->process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_->process(id).wait(60s), 0) << id << "\n" << deployment_->log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer", "xtst"}) {
      deployment_->process(id).kill(SIGTERM);
      deployment_->process(id).wait(30s);
    }
  }

  idl::Session::Client& alice() {
    if (!session_) {
      gateway_ = std::make_unique<GatewayConnection>(io_, deployment_->site("cf1"));
      auto loggedIn = gateway_->login("alice", "alice-secret");
      KJ_REQUIRE(std::holds_alternative<idl::Session::Client>(loggedIn),
                 std::get<std::string>(loggedIn));
      session_.emplace(std::get<idl::Session::Client>(kj::mv(loggedIn)));
    }
    return *session_;
  }

  // Places a buy of ACME; its order id ("" and a test failure if refused).
  std::string buy(const std::string& clientId, int64_t quantity, idl::OrderType type,
                  int64_t limitMicros, idl::TimeInForce timeInForce = idl::TimeInForce::DAY) {
    auto place = alice().placeOrderRequest();
    auto request = place.initRequest();
    testing::fillLimitBuy(request, clientId, quantity, limitMicros, timeInForce);
    request.setType(type);
    if (type == idl::OrderType::MARKET) request.setLimitPriceMicros(0);
    auto placed = gateway_->wait(place.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  struct Seen {
    idl::OrderState state = idl::OrderState::PENDING_NEW;
    int64_t filled = 0;
    std::string reason;
  };
  Seen status(const std::string& orderId) {
    auto request = alice().orderStatusRequest();
    request.setOrderId(orderId);
    auto answer = gateway_->wait(request.send());
    if (answer.getResult().isError()) return {};
    auto status = answer.getResult().getStatus();
    return {status.getState(), status.getFilledQuantity(), status.getReason()};
  }
  // Polls until `done` holds for the order's status (or kPatience passes).
  template <typename Done>
  Seen eventually(const std::string& orderId, Done done) {
    Seen seen;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    do {
      seen = status(orderId);
      if (done(seen)) break;
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return seen;
  }
  Seen eventually(const std::string& orderId, idl::OrderState state) {
    return eventually(orderId, [state](const Seen& seen) { return seen.state == state; });
  }

  // A venue that ignores PossResend and status requests; ss1 dies at
  // `crashPoint` with alice's order `clientId` and is started again. The
  // order's id.
  std::string crashStreetWith(const std::string& crashPoint, const std::string& clientId) {
    start({.modes = {"--ignore-poss-resend", "--no-status-requests"},
           .honoursPossResend = false,
           .answersStatusRequests = false,
           .streetOptions = {"--crash-at", crashPoint + ":1"}});
    const std::string order = buy(clientId, 10, idl::OrderType::LIMIT, 101 * kDollar);
    EXPECT_FALSE(order.empty());
    EXPECT_EQ(deployment_->process("ss1").wait(60s), kSigkilled) << logs();
    admin_.erase("ss1");
    deployment_->start("utilities/street/triad-streetd", "ss1");
    connect("ss1");
    return order;
  }

  // Waits (30 s at most) for alice's ACME position to be `expected`.
  void awaitPosition(int64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (position() != expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(position(), expected);
  }

  // ss1's Admin venueAlarms.
  capnp::Response<idl::Admin::VenueAlarmsResults> venueAlarms() {
    return admin_.at("ss1")->call((*admin_.at("ss1"))->venueAlarmsRequest());
  }

  // alice's ACME position as the firm's books hold it (cf1's replica).
  int64_t position() {
    auto answer = gateway_->wait(alice().positionsRequest().send());
    for (auto held : answer.getPositions()) {
      if (held.getSymbol() == "ACME") return held.getQuantity();
    }
    return 0;
  }

  // The ExecIDs of the fills ss1 received for `clOrdId`, from its QuickFIX
  // message log.
  std::set<std::string> fillExecIds(const std::string& clOrdId) {
    std::set<std::string> ids;
    const std::string soh = "\001";
    const std::regex execId(soh + "17=([^" + soh + "]*)" + soh);
    for (const auto& file :
         std::filesystem::directory_iterator(deployment_->dataRoot("ss1") / "fix" / "log")) {
      std::ifstream in(file.path());
      for (std::string line; std::getline(in, line);) {
        const bool fillOfIt = line.find(soh + "35=8" + soh) != std::string::npos &&
                              line.find(soh + "11=" + clOrdId + soh) != std::string::npos &&
                              line.find(soh + "150=F" + soh) != std::string::npos;
        std::smatch match;
        if (fillOfIt && std::regex_search(line, match, execId)) ids.insert(match[1]);
      }
    }
    return ids;
  }
  bool fixLogHas(const std::string& part) {
    for (const auto& file :
         std::filesystem::directory_iterator(deployment_->dataRoot("ss1") / "fix" / "log")) {
      std::ifstream in(file.path());
      for (std::string line; std::getline(in, line);) {
        if (line.find(part) != std::string::npos) return true;
      }
    }
    return false;
  }

  // The local addresses of the established TCP connections to `host:port`
  // (/proc/net/tcp: little-endian hex IPv4 address, hex port).
  static std::set<std::string> connectionsFrom(const std::string& host, uint16_t port) {
    auto hex = [](const std::string& dotted) {
      unsigned a = 0, b = 0, c = 0, d = 0;
      std::sscanf(dotted.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
      char text[16];
      std::snprintf(text, sizeof text, "%02X%02X%02X%02X", d, c, b, a);
      return std::string(text);
    };
    char remote[32];
    std::snprintf(remote, sizeof remote, "%s:%04X", hex(host).c_str(), port);
    std::set<std::string> locals;
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, peer, state;
      fields >> slot >> local >> peer >> state;
      if (peer != remote || state != "01") continue;
      const unsigned address = std::stoul(local.substr(0, 8), nullptr, 16);
      locals.insert(std::to_string(address & 0xff) + "." + std::to_string((address >> 8) & 0xff) +
                    "." + std::to_string((address >> 16) & 0xff) + "." +
                    std::to_string(address >> 24));
    }
    return locals;
  }

  // `triadctl --topology <ours> <args>`: what it printed and its exit code.
  std::pair<std::string, int> triadctl(const std::string& args) {
    // As the tests' operator: Admin is mutual TLS only (issue 17).
    const std::filesystem::path admin = deployment_->adminTlsPath();
    const std::string command = testing::builtProgram("tools/triadctl/triadctl") + " --topology " +
                                deployment_->topologyPath().string() + " --ca " +
                                (admin / "ca.crt").string() + " --cert " +
                                (admin / "operator-test-admin.crt").string() + " --key " +
                                (admin / "operator-test-admin.key").string() + " " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return {"popen failed", -1};
    std::string out;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = ::pclose(pipe);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
  }

  std::string logs() {
    std::string out;
    for (const char* id : {"ss1", "xtst", "cf1", "firm"}) {
      out += std::string("\n--- ") + id + "\n" + deployment_->log(id);
    }
    return out;
  }

  std::optional<Deployment> deployment_;
  std::vector<std::string> venueModes_;
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  std::unique_ptr<GatewayConnection> gateway_;
  std::optional<idl::Session::Client> session_;
  bool checkInvariants_ = true;
};

TEST_F(VenueAnomaliesTest, SessionAndBusinessRejectsEndWithTheVenuesReasonAndAreCounted) {
  start({.modes = {"--only-limit-day", "--no-cancel", "--no-market-data"}});

  // A market order, refused at session level (RefTagID 40).
  const std::string market = buy("market-1", 10, idl::OrderType::MARKET, 0);
  ASSERT_FALSE(market.empty());
  Seen rejected = eventually(market, idl::OrderState::REJECTED);
  ASSERT_EQ(rejected.state, idl::OrderState::REJECTED) << logs();
  EXPECT_NE(rejected.reason.find("session reject, tag 40, reason 5"), std::string::npos)
      << rejected.reason;

  // An IOC limit order, refused for its TimeInForce (RefTagID 59).
  const std::string ioc =
      buy("ioc-1", 10, idl::OrderType::LIMIT, 101 * kDollar, idl::TimeInForce::IOC);
  rejected = eventually(ioc, idl::OrderState::REJECTED);
  ASSERT_EQ(rejected.state, idl::OrderState::REJECTED) << logs();
  EXPECT_NE(rejected.reason.find("tag 59"), std::string::npos) << rejected.reason;

  // A resting limit DAY order is taken; its cancel is refused with 35=j.
  const std::string resting = buy("resting-1", 10, idl::OrderType::LIMIT, 1 * kDollar);
  ASSERT_EQ(eventually(resting, idl::OrderState::NEW).state, idl::OrderState::NEW) << logs();
  auto cancel = alice().cancelOrderRequest();
  cancel.setOrderId(resting);
  ASSERT_FALSE(gateway_->wait(cancel.send()).getResult().isError());
  Seen refused = eventually(resting, [](const Seen& seen) {
    return seen.state == idl::OrderState::NEW && !seen.reason.empty();
  });
  EXPECT_EQ(refused.state, idl::OrderState::NEW) << logs();
  EXPECT_NE(refused.reason.find("refused the cancel request (business reject, reason 3)"),
            std::string::npos)
      << refused.reason;

  // The street's FIX initiator connects from its firm-side address.
  const topology::Exchange* xtst = deployment_->topology().findExchange("xtst");
  ASSERT_NE(xtst, nullptr);
  EXPECT_EQ(connectionsFrom(xtst->firmAddress, xtst->fixPort),
            std::set<std::string>{deployment_->site("ss1").firmAddress});

  auto alarms = venueAlarms();
  EXPECT_EQ(alarms.getAlarms().getVenueRejects(), 3u);
  EXPECT_EQ(alarms.getAlarms().getUnknownReferences(), 0u);
  EXPECT_EQ(alarms.getAlarms().getStuck().size(), 0u);
  EXPECT_EQ(alarms.getAlarms().getRefusedReportsKept(), 0u);
}

TEST_F(VenueAnomaliesTest, AnUnansweredOrderIsStuckUntilItsVenueAnswers) {
  start({.modes = {}});
  // The venue is down: the order waits in QuickFIX's store for the logon.
  deployment_->process("xtst").kill(SIGTERM);
  ASSERT_EQ(deployment_->process("xtst").wait(30s), 0);
  const std::string order = buy("stuck-1", 10, idl::OrderType::LIMIT, 101 * kDollar);
  ASSERT_FALSE(order.empty());

  // Past the answer-timeout (2 s) it is listed, and a status request is sent.
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  bool listed = false;
  while (!listed && std::chrono::steady_clock::now() < deadline) {
    auto alarms = venueAlarms();
    for (auto stuck : alarms.getAlarms().getStuck()) {
      listed = listed || (stuck.getOrderId() == order && stuck.getKind() == "order" &&
                          stuck.getVenue() == "xtst");
    }
    if (!listed) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(listed) << logs();
  EXPECT_NE(deployment_->log("ss1").find("alarm-stuck-order"), std::string::npos);
  // The operator's console says so, and fails the status.
  const auto [text, exitCode] = triadctl("status");
  EXPECT_EQ(exitCode, 1) << text;
  EXPECT_NE(text.find("! stuck-order ss1:" + order + ": order " + order + " unanswered by xtst"),
            std::string::npos)
      << text;
  EXPECT_EQ(status(order).state, idl::OrderState::NEW);

  // The venue comes back: the order goes out, fills, and is no longer stuck.
  deployment_->startExchange("xtst", venueModes_);
  ASSERT_EQ(eventually(order, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();
  EXPECT_EQ(venueAlarms().getAlarms().getStuck().size(), 0u);
}

TEST_F(VenueAnomaliesTest, ExecIdsThatStartAgainAfterAVenueRestartAreEachBookedOnce) {
  start({.modes = {"--exec-ids-restart"}});
  const std::string before = buy("before-1", 10, idl::OrderType::LIMIT, 101 * kDollar);
  ASSERT_EQ(eventually(before, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();

  deployment_->process("xtst").kill(SIGTERM);
  ASSERT_EQ(deployment_->process("xtst").wait(30s), 0);
  deployment_->startExchange("xtst", venueModes_);

  const std::string after = buy("after-1", 10, idl::OrderType::LIMIT, 101 * kDollar);
  ASSERT_EQ(eventually(after, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();
  // The venue numbered both fills alike: the ExecID alone is not a fill's
  // identity, and neither fill was taken for a resend of the other.
  std::set<std::string> first = fillExecIds(before), second = fillExecIds(after);
  ASSERT_FALSE(first.empty()) << logs();
  EXPECT_EQ(first, second);
  awaitPosition(20);
  EXPECT_EQ(venueAlarms().getAlarms().getRefusedReportsKept(), 0u);
}

TEST_F(VenueAnomaliesTest, AStreetRestartResendsNothingToAVenueThatIgnoresPossResend) {
  // ss1 dies when the first fill arrives, before recording it.
  const std::string filled = crashStreetWith("street.before-record", "filled-1");
  ASSERT_FALSE(HasFailure());

  // The venue resends the fill (ss1 never took it); nothing is sent again,
  // so the venue, which would execute a PossResend as new, fills it once.
  ASSERT_EQ(eventually(filled, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();
  EXPECT_FALSE(fixLogHas(kPossResend)) << "an order was re-sent as a possible resend";
  awaitPosition(10);
  std::this_thread::sleep_for(1s);  // a second execution would have arrived by now
  EXPECT_EQ(position(), 10);
  auto alarms = venueAlarms();
  EXPECT_EQ(alarms.getAlarms().getRefusedReportsKept(), 0u);
  EXPECT_EQ(alarms.getAlarms().getOverfills(), 0u);
}

TEST_F(VenueAnomaliesTest, ARouteTheVenueNeverConfirmedIsListedNotResent) {
  // ss1 dies with the order in QuickFIX's store, not yet on the wire.
  const std::string order = crashStreetWith("street.after-store-write", "unsent-1");
  ASSERT_FALSE(HasFailure());

  // The start-up pass cannot know whether the venue has it: it raises the
  // alarm and sends nothing of its own.
  EXPECT_NE(deployment_->log("ss1").find("event=alarm-unconfirmed-route order=" + order),
            std::string::npos)
      << logs();
  // The session layer recovers it safely: the venue asks for the sequence
  // numbers it never received, and takes the order once (a PossDup resend
  // of a ClOrdID it has not seen). Its fill answers the alarm.
  ASSERT_EQ(eventually(order, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();
  EXPECT_FALSE(fixLogHas(kPossResend)) << "an order was re-sent as a possible resend";
  awaitPosition(10);
  EXPECT_EQ(venueAlarms().getAlarms().getUnconfirmed().size(), 0u);
}

TEST_F(VenueAnomaliesTest, TheCustomerBusCarriesVenueStatusAndHalts) {
  start({.modes = {"--no-market-data"}});
  const topology::Broker* bus = deployment_->topology().broker(topology::Bus::kCustomer);
  ASSERT_NE(bus, nullptr);
  zmq::context_t zmq;
  brokers::BusSubscriber subscriber(
      zmq, "tcp://" + bus->address + ":" + std::to_string(bus->subscribePort));
  subscriber.subscribe("venue.");
  subscriber.subscribe("halt");
  subscriber.subscribe("md.");

  struct Heard {
    std::optional<bool> venueUp;
    std::vector<std::pair<std::string, bool>> halts;
    int marketData = 0;
  } heard;
  auto listen = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      auto event = subscriber.poll(100ms);
      if (!event) continue;
      auto* message = std::get_if<brokers::BusMessage>(&*event);
      if (message == nullptr) continue;
      auto record = message->envelope().getRecord();
      if (record.isVenueStatus() && record.getVenueStatus().getVenue() == "xtst") {
        heard.venueUp = record.getVenueStatus().getUp();
      } else if (record.isHalt()) {
        heard.halts.emplace_back(record.getHalt().getSymbol(), record.getHalt().getHalted());
      } else if (record.isMarketData()) {
        ++heard.marketData;
      }
    }
  };
  // Republished every few seconds: a subscriber that joins late learns it.
  listen([&] { return heard.venueUp.has_value(); });
  EXPECT_EQ(heard.venueUp, std::optional<bool>(true)) << logs();

  AdminConnection& firm = *admin_.at("firm");
  auto halt = firm->haltRequest();
  halt.setSymbol("ACME");
  halt.setReason("volatility pause");
  ASSERT_TRUE(firm.call(kj::mv(halt)).getResult().isOk());
  listen([&] { return !heard.halts.empty(); });
  ASSERT_FALSE(heard.halts.empty()) << logs();
  EXPECT_EQ(heard.halts.back(), (std::pair<std::string, bool>{"ACME", true}));
  auto resume = firm->resumeRequest();
  resume.setSymbol("ACME");
  ASSERT_TRUE(firm.call(kj::mv(resume)).getResult().isOk());
  listen([&] { return heard.halts.back().second == false; });
  EXPECT_EQ(heard.halts.back(), (std::pair<std::string, bool>{"ACME", false}));

  // The venue goes down: so says the bus.
  deployment_->process("xtst").kill(SIGTERM);
  ASSERT_EQ(deployment_->process("xtst").wait(30s), 0);
  listen([&] { return heard.venueUp == std::optional<bool>(false); });
  EXPECT_EQ(heard.venueUp, std::optional<bool>(false));
  deployment_->startExchange("xtst", venueModes_);
  // A trade happens: with --no-market-data the venue publishes none.
  const std::string order = buy("md-1", 10, idl::OrderType::LIMIT, 101 * kDollar);
  ASSERT_EQ(eventually(order, idl::OrderState::FILLED).state, idl::OrderState::FILLED) << logs();
  listen([&] { return heard.venueUp == std::optional<bool>(true); });
  EXPECT_EQ(heard.marketData, 0);
}

}  // namespace
}  // namespace triad
