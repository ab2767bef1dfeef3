// The order lifecycle end to end (issue 4, DESIGN §3, §4), every part a real
// process on loopback: both buses (triad-brokerd), the exchange simulator
// (xtst, FIX.4.4), the firm, three customer utilities and a street utility.
//
// What it shows: an order placed at cf1 is seen alike at cf2 and cf3 and
// pushed to a watcher at cf3 with market data; an account sees and touches
// only its own orders; partial fills and the expiry of an IOC remainder; a
// street utility started after the orders were placed still routes them; the
// bus doorbell routes at once, and a message the bus dropped (its broker
// killed) is recovered by the catch-up it triggers.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"
#include "tests/support/invariants.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::awaitInvariants;
using testing::connectWhenReady;
using testing::Deployment;
using testing::GatewayConnection;

constexpr int64_t kCent = 10'000;
constexpr int64_t kDollar = 100 * kCent;
constexpr auto kPatience = 60s;

// What a watch pushed, as the test's loop received it.
struct Heard {
  std::map<std::string, std::vector<idl::OrderState>> states;  // by order id, in order
  std::map<std::string, int64_t> lastTrade;                    // by symbol
};

class RecordingListener final : public idl::OrderListener::Server {
 public:
  explicit RecordingListener(std::shared_ptr<Heard> heard) : heard_(std::move(heard)) {}

 protected:
  kj::Promise<void> update(UpdateContext context) override {
    auto status = context.getParams().getStatus();
    heard_->states[status.getOrder().getId()].push_back(status.getState());
    return kj::READY_NOW;
  }
  kj::Promise<void> marketData(MarketDataContext context) override {
    auto params = context.getParams();
    heard_->lastTrade[params.getSymbol()] = params.getLastPriceMicros();
    return kj::READY_NOW;
  }

 private:
  std::shared_ptr<Heard> heard_;
};

struct LifecycleOptions {
  bool startStreet = true;
  std::vector<std::string> streetOptions;
};

class LifecycleTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~LifecycleTest() noexcept override {}

  void start(const LifecycleOptions& options) {
    streetOptions_ = options.streetOptions;
    deployment_.startBroker("firm");
    deployment_.startBroker("customer");
    deployment_.startExchange("xtst");
    deployment_.start("utilities/firm/triad-firmd", "firm");
    for (const char* id : {"cf1", "cf2", "cf3"}) {
      deployment_.start("utilities/customer/triad-customerd", id);
    }
    if (options.startStreet) startStreet();
    for (const char* id : {"firm", "cf1", "cf2", "cf3"}) connect(id);
    AdminConnection& firm = *admin_["firm"];
    testing::openFundedAccount(firm, "alice", 1'000'000);
    testing::openFundedAccount(firm, "bob", 1'000);
    testing::routeEverySymbol(firm, "ss1", "xtst", 100);
    testing::waitForFirmReplicas(firm,
                                 {admin_["cf1"].get(), admin_["cf2"].get(), admin_["cf3"].get()});
  }

  void startStreet() {
    deployment_.start("utilities/street/triad-streetd", "ss1", streetOptions_);
    started_.push_back("ss1");
  }

  void connect(const std::string& id) {
    std::string lastError;
    admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
    ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_.log(id);
  }

  void TearDown() override {
    // Every case ends with the invariants of DESIGN §3 at every site.
    if (!HasFatalFailure()) {
      for (const std::string& violation :
           awaitInvariants(io_, deployment_, "firm", {"cf1", "cf2", "cf3"})) {
        ADD_FAILURE() << violation;
      }
    }
    gateways_.clear();
    admin_.clear();
    for (const std::string& id : std::vector<std::string>{"cf1", "cf2", "cf3", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    for (const std::string& id : started_) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer"}) {
      deployment_.process(id).kill(SIGTERM);
      deployment_.process(id).wait(30s);
    }
    deployment_.process("xtst").kill(SIGTERM);
    EXPECT_EQ(deployment_.process("xtst").wait(60s), 0);
  }

  // A session of `account` at customer utility `id`.
  idl::Session::Client login(const std::string& id, const std::string& account) {
    auto& gateway = gateways_[id];
    if (!gateway) gateway = std::make_unique<GatewayConnection>(io_, deployment_.site(id));
    auto loggedIn = gateway->login(account, account + "-secret");
    KJ_REQUIRE(std::holds_alternative<idl::Session::Client>(loggedIn),
               std::get<std::string>(loggedIn));
    return std::get<idl::Session::Client>(kj::mv(loggedIn));
  }

  // Places a buy of ACME; its order id ("" and a test failure if refused).
  std::string buy(const std::string& id, idl::Session::Client& session, const std::string& clientId,
                  int64_t quantity, int64_t limitMicros,
                  idl::TimeInForce timeInForce = idl::TimeInForce::DAY) {
    auto place = session.placeOrderRequest();
    testing::fillLimitBuy(place.initRequest(), clientId, quantity, limitMicros, timeInForce);
    auto placed = gateways_.at(id)->wait(place.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  // Polls orderStatus at `id` until the order is in `state` (or kPatience
  // passes); the last status seen, copied out.
  struct Seen {
    idl::OrderState state = idl::OrderState::PENDING_NEW;
    int64_t filled = 0;
    int64_t averagePriceMicros = 0;
    int64_t leaves = 0;
    std::string error;
  };
  Seen eventually(const std::string& id, idl::Session::Client& session, const std::string& orderId,
                  idl::OrderState state) {
    Seen seen;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    do {
      auto request = session.orderStatusRequest();
      request.setOrderId(orderId);
      auto answer = gateways_.at(id)->wait(request.send());
      if (answer.getResult().isError()) {
        seen.error = answer.getResult().getError().getReason();
      } else {
        auto status = answer.getResult().getStatus();
        seen = {status.getState(), status.getFilledQuantity(), status.getAveragePriceMicros(),
                status.getLeavesQuantity(), ""};
        if (seen.state == state) break;
      }
      pump(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return seen;
  }

  // Runs the event loop (so that pushed calls arrive) for `duration`.
  void pump(std::chrono::milliseconds duration) {
    io_.provider->getTimer().afterDelay(duration.count() * kj::MILLISECONDS).wait(io_.waitScope);
  }

  std::string logs() {
    std::string out;
    for (const char* id : {"ss1", "cf1", "firm"}) {
      out += std::string("\n--- ") + id + "\n" + deployment_.log(id);
    }
    return out;
  }

  Deployment deployment_{{.customers = {"cf1", "cf2", "cf3"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  std::map<std::string, std::unique_ptr<GatewayConnection>> gateways_;
  std::vector<std::string> started_;
  std::vector<std::string> streetOptions_;
};

TEST_F(LifecycleTest, AnOrderIsSeenAlikeEverywhereWatchedAndOnlyByItsAccount) {
  start({});
  idl::Session::Client atCf3 = login("cf3", "alice");
  auto heard = std::make_shared<Heard>();
  auto watch = atCf3.watchRequest();
  watch.setListener(kj::heap<RecordingListener>(heard));
  auto watching = gateways_.at("cf3")->wait(watch.send());
  idl::Subscription::Client subscription = watching.getSubscription();

  idl::Session::Client atCf1 = login("cf1", "alice");
  const std::string orderId = buy("cf1", atCf1, "alice-1", 10, 101 * kDollar);
  ASSERT_FALSE(orderId.empty());
  const Seen atOrigin = eventually("cf1", atCf1, orderId, idl::OrderState::FILLED);
  ASSERT_EQ(atOrigin.state, idl::OrderState::FILLED) << atOrigin.error << logs();
  EXPECT_EQ(atOrigin.filled, 10);
  EXPECT_EQ(atOrigin.averagePriceMicros, 100 * kDollar + kCent);  // the best offer
  idl::Session::Client atCf2 = login("cf2", "alice");
  for (auto [id, session] : {std::pair{"cf2", &atCf2}, std::pair{"cf3", &atCf3}}) {
    const Seen there = eventually(id, *session, orderId, idl::OrderState::FILLED);
    EXPECT_EQ(there.state, atOrigin.state) << id;
    EXPECT_EQ(there.filled, atOrigin.filled) << id;
    EXPECT_EQ(there.averagePriceMicros, atOrigin.averagePriceMicros) << id;
  }

  // The watch at cf3 was told, as it replicated, and heard the trade.
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while ((heard->states[orderId].empty() ||
          heard->states[orderId].back() != idl::OrderState::FILLED ||
          heard->lastTrade["ACME"] == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    pump(50ms);
  }
  ASSERT_FALSE(heard->states[orderId].empty()) << logs();
  EXPECT_EQ(heard->states[orderId].back(), idl::OrderState::FILLED);
  EXPECT_EQ(heard->lastTrade["ACME"], 100 * kDollar + kCent);

  // Bob, at any utility, can neither see nor cancel Alice's order.
  idl::Session::Client bob = login("cf2", "bob");
  auto status = bob.orderStatusRequest();
  status.setOrderId(orderId);
  auto seenByBob = gateways_.at("cf2")->wait(status.send());
  ASSERT_TRUE(seenByBob.getResult().isError());
  EXPECT_EQ(seenByBob.getResult().getError().getCode(), idl::ErrorCode::NOT_FOUND);
  auto cancel = bob.cancelOrderRequest();
  cancel.setOrderId(orderId);
  auto cancelledByBob = gateways_.at("cf2")->wait(cancel.send());
  ASSERT_TRUE(cancelledByBob.getResult().isError());
  EXPECT_EQ(cancelledByBob.getResult().getError().getCode(), idl::ErrorCode::NOT_FOUND);
  auto list = bob.listOrdersRequest();
  list.setOpenOnly(false);
  EXPECT_EQ(gateways_.at("cf2")->wait(list.send()).getOrders().size(), 0u);
}

TEST_F(LifecycleTest, PartialFillsRestAndAnIocRemainderExpires) {
  start({});
  idl::Session::Client alice = login("cf1", "alice");
  // The liquidity provider offers 500 at 100.01, 500 at 100.02, ...
  const std::string resting = buy("cf1", alice, "alice-partial", 600, 100 * kDollar + kCent);
  ASSERT_FALSE(resting.empty());
  const Seen partial = eventually("cf1", alice, resting, idl::OrderState::PARTIALLY_FILLED);
  ASSERT_EQ(partial.state, idl::OrderState::PARTIALLY_FILLED) << partial.error << logs();
  EXPECT_EQ(partial.filled, 500);
  EXPECT_EQ(partial.leaves, 100);
  EXPECT_EQ(partial.averagePriceMicros, 100 * kDollar + kCent);

  const std::string ioc =
      buy("cf1", alice, "alice-ioc", 5'000, 100 * kDollar + 2 * kCent, idl::TimeInForce::IOC);
  ASSERT_FALSE(ioc.empty());
  const Seen expired = eventually("cf1", alice, ioc, idl::OrderState::EXPIRED);
  ASSERT_EQ(expired.state, idl::OrderState::EXPIRED) << expired.error << logs();
  EXPECT_GT(expired.filled, 0);  // what the book had at or under its limit...
  EXPECT_LT(expired.filled, 5'000);
  EXPECT_EQ(expired.leaves, 0);  // ...and the rest is gone, not working
}

TEST_F(LifecycleTest, AStreetUtilityStartedLateRoutesOrdersPlacedBefore) {
  start({.startStreet = false, .streetOptions = {}});
  idl::Session::Client alice = login("cf2", "alice");
  const std::string orderId = buy("cf2", alice, "alice-early", 10, 101 * kDollar);
  ASSERT_FALSE(orderId.empty());
  pump(500ms);
  EXPECT_EQ(eventually("cf2", alice, orderId, idl::OrderState::PENDING_NEW).state,
            idl::OrderState::PENDING_NEW);

  startStreet();
  connect("ss1");
  const Seen filled = eventually("cf2", alice, orderId, idl::OrderState::FILLED);
  EXPECT_EQ(filled.state, idl::OrderState::FILLED) << filled.error << logs();
  EXPECT_EQ(filled.filled, 10);
}

TEST_F(LifecycleTest, TheBusRoutesAtOnceAndADroppedMessageIsRecoveredByCatchUp) {
  // The periodic scan is an hour away: only the bus, and the catch-ups it
  // triggers, can route what is placed after ss1 has started.
  start({.startStreet = true, .streetOptions = {"--catch-up-interval-ms", "3600000"}});
  connect("ss1");
  idl::Session::Client alice = login("cf1", "alice");
  pump(1s);  // the subscriptions reach the broker
  const std::string first = buy("cf1", alice, "alice-bus-1", 10, 101 * kDollar);
  const Seen routed = eventually("cf1", alice, first, idl::OrderState::FILLED);
  ASSERT_EQ(routed.state, idl::OrderState::FILLED) << routed.error << logs();

  // The firm bus's broker dies: what cf1 announces meanwhile is lost.
  deployment_.process("bus-firm").kill(SIGKILL);
  deployment_.process("bus-firm").wait(30s);
  const std::string dropped = buy("cf1", alice, "alice-bus-2", 10, 101 * kDollar);
  ASSERT_FALSE(dropped.empty());
  pump(500ms);
  EXPECT_EQ(eventually("cf1", alice, dropped, idl::OrderState::PENDING_NEW).state,
            idl::OrderState::PENDING_NEW);

  // It comes back; cf1's next message or heartbeat shows ss1 the gap, and ss1
  // catches up from its replica of cf1's group.
  deployment_.startBroker("firm");
  const Seen recovered = eventually("cf1", alice, dropped, idl::OrderState::FILLED);
  EXPECT_EQ(recovered.state, idl::OrderState::FILLED) << recovered.error << logs();

  auto stats = admin_["ss1"]->call((*admin_["ss1"])->busStatsRequest());
  uint64_t gaps = 0, catchUps = 0;
  for (auto stat : stats.getStats()) {
    if (stat.getOrigin() == "cf1") {
      gaps += stat.getGaps();
      catchUps += stat.getCatchUps();
    }
  }
  EXPECT_GE(gaps, 1u) << logs();
  EXPECT_GE(catchUps, 1u);
}

}  // namespace
}  // namespace triad
