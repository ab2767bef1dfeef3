// The firm's books through a whole deployment (issue 5, item 7): triad-firmd,
// three triad-customerd (cf1, cf2, cf3), triad-streetd (ss1) and
// triad-exchanged (xtst) as processes. Customers trade at the Gateways; the
// exchange's liquidity provider quotes every symbol at 100.00 with 100 shares
// on each of five levels a cent apart (asks 100.01..100.05, bids
// 99.99..99.95), so every fill's price is known. Each test trades its own
// symbol and account, so the tests share one deployment (starting one takes
// most of the suite's time); the firm's books must verify clean after each.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"

namespace triad::firm {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::ChildProcess;
using testing::connectWhenReady;
using testing::Deployment;
using testing::expectOk;
using testing::GatewayConnection;

constexpr int64_t kDollar = 1'000'000;
constexpr int64_t kCent = 10'000;
constexpr const char* kFirmd = "utilities/firm/triad-firmd";
const std::vector<std::string> kCustomers = {"cf1", "cf2", "cf3"};
const std::vector<std::string> kSymbols = {"ACME", "PART", "KILL", "BIGB", "HALT", "SETL"};

// Today's UTC trade date, yyyymmdd.
int32_t today() {
  using namespace std::chrono;
  const year_month_day date{floor<days>(system_clock::now())};
  return static_cast<int>(date.year()) * 10000 + static_cast<int>(unsigned(date.month())) * 100 +
         static_cast<int>(unsigned(date.day()));
}

// True once `done` holds, polling for at most `timeout`.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

struct Cash {
  int64_t tradeDate = -1;
  int64_t settled = -1;
  bool operator==(const Cash&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Cash& cash) {
  return out << "{cash " << cash.tradeDate << ", settled " << cash.settled << "}";
}

struct Holding {
  int64_t quantity = 0;
  int64_t averageCost = 0;
  int64_t realisedPnl = 0;
  bool operator==(const Holding&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Holding& holding) {
  return out << "{" << holding.quantity << " at " << holding.averageCost << ", realised "
             << holding.realisedPnl << "}";
}

// One customer logged in at one utility.
class Customer {
 public:
  Customer(kj::AsyncIoContext& io, const topology::Utility& site, const std::string& account)
      : gateway_(io, site) {
    auto session = gateway_.login(account, account + "-secret");
    if (auto* refused = std::get_if<std::string>(&session)) {
      ADD_FAILURE() << "login refused at " << site.id << ": " << *refused;
      return;
    }
    session_ = std::get<idl::Session::Client>(kj::mv(session));
  }

  // Places a limit order; the response (status or error).
  capnp::Response<idl::Session::PlaceOrderResults> place(const std::string& clientId,
                                                         const std::string& symbol, idl::Side side,
                                                         int64_t quantity, int64_t limitMicros) {
    auto request = session_.placeOrderRequest();
    auto order = request.initRequest();
    order.setClientOrderId(clientId);
    order.setSymbol(symbol);
    order.setSide(side);
    order.setType(idl::OrderType::LIMIT);
    order.setTimeInForce(idl::TimeInForce::DAY);
    order.setQuantity(quantity);
    order.setLimitPriceMicros(limitMicros);
    return gateway_.wait(request.send());
  }

  // Places an order that must be accepted; its id.
  std::string placeAccepted(const std::string& clientId, const std::string& symbol, idl::Side side,
                            int64_t quantity, int64_t limitMicros) {
    auto placed = place(clientId, symbol, side, quantity, limitMicros);
    EXPECT_TRUE(placed.getResult().isStatus())
        << clientId << ": " << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  // Waits until the order is filled; its filled quantity and average price.
  std::pair<int64_t, int64_t> filled(const std::string& orderId) {
    std::pair<int64_t, int64_t> seen{0, 0};
    eventually([&] {
      auto request = session_.orderStatusRequest();
      request.setOrderId(orderId);
      auto response = gateway_.wait(request.send());
      if (!response.getResult().isStatus()) return false;
      auto status = response.getResult().getStatus();
      seen = {status.getFilledQuantity(), status.getAveragePriceMicros()};
      return status.getState() == idl::OrderState::FILLED;
    });
    return seen;
  }

  Cash cash() {
    auto response = gateway_.wait(session_.balanceRequest().send());
    if (!response.getResult().isBalance()) return {};
    auto balance = response.getResult().getBalance();
    return {balance.getTradeDateMicros(), balance.getSettledMicros()};
  }

  Holding holding(const std::string& symbol) {
    auto response = gateway_.wait(session_.positionsRequest().send());
    for (idl::PositionView::Reader position : response.getPositions()) {
      if (position.getSymbol() == symbol) {
        return {position.getQuantity(), position.getAverageCostMicros(),
                position.getRealisedPnlMicros()};
      }
    }
    return {};
  }

 private:
  GatewayConnection gateway_;
  idl::Session::Client session_ = nullptr;
};

class FirmLifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new Shared();
    Deployment& deployment = shared_->deployment;
    std::vector<std::string> exchangeOptions;
    for (const std::string& symbol : kSymbols) {
      exchangeOptions.push_back("--symbol");
      exchangeOptions.push_back(symbol + " 100.00 0.01 5 100");
    }
    deployment.startExchange("xtst", exchangeOptions);
    deployment.start(kFirmd, "firm");
    for (const std::string& id : kCustomers) {
      deployment.start("utilities/customer/triad-customerd", id);
    }
    deployment.start("utilities/street/triad-streetd", "ss1");
    for (const std::string& id : sites()) connect(id);
    if (::testing::Test::HasFatalFailure()) return;
    testing::routeEverySymbol(firm(), "ss1", "xtst", 100);
    waitForFirmReplicas();
  }

  static void TearDownTestSuite() {
    if (shared_ == nullptr) return;
    shared_->admin.clear();
    for (const std::string& id : sites()) {
      shared_->deployment.process(id).kill(SIGTERM);
      EXPECT_EQ(shared_->deployment.process(id).wait(60s), 0) << id << "\n"
                                                              << shared_->deployment.log(id);
    }
    shared_->deployment.process("xtst").kill(SIGTERM);
    EXPECT_EQ(shared_->deployment.process("xtst").wait(60s), 0);
    delete shared_;
    shared_ = nullptr;
  }

  // (g) verify passes after every test, once the firm has booked every
  // execution the street group holds (booking polls every 100 ms).
  void TearDown() override {
    if (shared_ == nullptr || shared_->admin.count("firm") == 0) return;
    std::string findings;
    const bool clean = eventually([&] {
      auto verified = firm().call(firm()->verifyRequest());
      findings.clear();
      for (auto finding : verified.getReport().getFindings()) {
        findings += std::string(finding.cStr()) + "\n";
      }
      shared_->executionsBooked = verified.getReport().getExecutionsBooked();
      return verified.getReport().getClean();
    });
    EXPECT_TRUE(clean) << findings;
  }

  static std::vector<std::string> sites() {
    std::vector<std::string> ids = {"firm", "ss1"};
    ids.insert(ids.end(), kCustomers.begin(), kCustomers.end());
    return ids;
  }

  static void connect(const std::string& id) {
    std::string lastError;
    shared_->admin[id] =
        connectWhenReady(shared_->io, shared_->deployment.site(id), 120s, &lastError);
    ASSERT_NE(shared_->admin[id], nullptr) << id << ": " << lastError << "\n"
                                           << shared_->deployment.log(id);
  }

  static AdminConnection& firm() { return *shared_->admin.at("firm"); }

  static void waitForFirmReplicas() {
    std::vector<AdminConnection*> replicas;
    for (const std::string& id : kCustomers) replicas.push_back(shared_->admin.at(id).get());
    testing::waitForFirmReplicas(firm(), replicas);
  }

  // Stops the firm with `signal`.
  static void stopFirm(int signal) {
    shared_->admin.erase("firm");
    shared_->deployment.process("firm").kill(signal);
    const std::optional<int> exit = shared_->deployment.process("firm").wait(60s);
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(*exit, signal == SIGKILL ? 128 + SIGKILL : 0) << shared_->deployment.log("firm");
  }

  // Starts the firm (again) with `options`, and waits until it is ready.
  static void startFirm(const std::vector<std::string>& options = {}) {
    shared_->deployment.start(kFirmd, "firm", options);
    connect("firm");
  }

  static void restartFirm(int signal, const std::vector<std::string>& options = {}) {
    stopFirm(signal);
    if (!::testing::Test::HasFatalFailure()) startFirm(options);
  }

  // The account `id` with `dollars` deposited, replicated to every customer utility.
  static void openAccount(const std::string& id, int64_t dollars) {
    testing::openFundedAccount(firm(), id, dollars);
    waitForFirmReplicas();
  }

  // A customer of `account` at every customer utility.
  static std::vector<std::unique_ptr<Customer>> everywhere(const std::string& account) {
    std::vector<std::unique_ptr<Customer>> customers;
    for (const std::string& id : kCustomers) {
      customers.push_back(
          std::make_unique<Customer>(shared_->io, shared_->deployment.site(id), account));
    }
    return customers;
  }

  // Waits until every customer utility shows `cash` and `holding` of `symbol`.
  static void expectEverywhere(std::vector<std::unique_ptr<Customer>>& customers,
                               const std::string& symbol, Cash cash, Holding holding) {
    for (size_t i = 0; i < customers.size(); ++i) {
      Customer& customer = *customers[i];
      EXPECT_TRUE(eventually([&] {
        return customer.cash() == cash && customer.holding(symbol) == holding;
      })) << kCustomers[i]
          << " shows " << customer.cash() << " " << customer.holding(symbol) << ", not " << cash
          << " " << holding;
    }
  }

  static uint64_t executionsBooked() {
    auto verified = firm().call(firm()->verifyRequest());
    return verified.getReport().getExecutionsBooked();
  }

  struct Shared {
    Deployment deployment{{.customers = kCustomers, .streets = {"ss1"}}};
    kj::AsyncIoContext io = kj::setupAsyncIo();
    std::map<std::string, std::unique_ptr<AdminConnection>> admin;
    uint64_t executionsBooked = 0;  // as of the last verify
  };
  static inline Shared* shared_ = nullptr;
};

// (a) A buy then a sell move cash and position, read back at every customer
// utility, with average cost and realised P&L.
TEST_F(FirmLifecycleTest, BuyThenSellMoveCashAndPositionAtEveryCustomerUtility) {
  openAccount("ann", 10'000);
  auto customers = everywhere("ann");
  const std::string buy =
      customers[0]->placeAccepted("ann-1", "ACME", idl::Side::BUY, 10, 100 * kDollar + 5 * kCent);
  EXPECT_EQ(customers[0]->filled(buy), std::make_pair(int64_t{10}, 100 * kDollar + kCent));
  // 10 at 100.01: 1,000.10 out of trade-date cash; nothing settles yet.
  expectEverywhere(customers, "ACME", {(10'000 - 1'000) * kDollar - 10 * kCent, 10'000 * kDollar},
                   {10, 100 * kDollar + kCent, 0});

  // Sold at another utility: 4 at the best bid, 99.99, a loss of 0.02 a share.
  const std::string sell =
      customers[1]->placeAccepted("ann-2", "ACME", idl::Side::SELL, 4, 99 * kDollar + 95 * kCent);
  EXPECT_EQ(customers[1]->filled(sell), std::make_pair(int64_t{4}, 99 * kDollar + 99 * kCent));
  expectEverywhere(customers, "ACME",
                   {10'000 * kDollar - 1'000'100'000 + 399'960'000, 10'000 * kDollar},
                   {6, 100 * kDollar + kCent, -8 * kCent});
}

// (b) An order larger than the top of the book fills in several executions,
// and each is booked on its own: 100 at 100.01, 100 at 100.02, 50 at 100.03.
TEST_F(FirmLifecycleTest, PartialFillsBookPerFill) {
  openAccount("pat", 100'000);
  auto customers = everywhere("pat");
  const uint64_t bookedBefore = executionsBooked();
  const std::string order =
      customers[2]->placeAccepted("pat-1", "PART", idl::Side::BUY, 250, 100 * kDollar + 5 * kCent);
  const int64_t notional = 100 * (100 * kDollar + 1 * kCent) + 100 * (100 * kDollar + 2 * kCent) +
                           50 * (100 * kDollar + 3 * kCent);
  EXPECT_EQ(customers[2]->filled(order), std::make_pair(int64_t{250}, notional / 250));
  expectEverywhere(customers, "PART", {100'000 * kDollar - notional, 100'000 * kDollar},
                   {250, notional / 250, 0});
  EXPECT_TRUE(eventually([&] { return executionsBooked() == bookedBefore + 3; }))
      << "booked " << executionsBooked() - bookedBefore << " executions for three fills";
}

// (c) Killing the firm while fills stream in, and starting it again, leaves
// every fill booked exactly once: cash and position are the sum of the fills.
// Fills keep arriving while the firm is down; the restarted firm catches up
// from the street group.
TEST_F(FirmLifecycleTest, FirmKilledMidStreamOfFillsBooksEveryFillOnce) {
  openAccount("kim", 1'000'000);
  Customer kim(shared_->io, shared_->deployment.site("cf1"), "kim");
  const uint64_t bookedBefore = executionsBooked();
  std::vector<std::string> orders;
  auto placeSome = [&](int n) {
    for (int i = 0; i < n; ++i) {
      orders.push_back(kim.placeAccepted("kim-" + std::to_string(orders.size()), "KILL",
                                         idl::Side::BUY, 10, 100 * kDollar + 5 * kCent));
    }
  };
  placeSome(8);
  stopFirm(SIGKILL);  // the firm may be in the middle of booking these
  ASSERT_FALSE(HasFatalFailure());
  placeSome(8);
  startFirm();
  ASSERT_FALSE(HasFatalFailure());
  placeSome(4);

  int64_t quantity = 0;
  int64_t notional = 0;
  for (const std::string& order : orders) {
    const auto [filled, averagePrice] = kim.filled(order);
    EXPECT_EQ(filled, 10) << order;
    quantity += filled;
    notional += filled * averagePrice;  // exact: 10 shares at whole cents divide evenly
  }
  EXPECT_EQ(quantity, 20 * 10);
  EXPECT_TRUE(eventually([&] { return kim.holding("KILL").quantity == quantity; }))
      << kim.holding("KILL");
  EXPECT_EQ(kim.cash(), (Cash{1'000'000 * kDollar - notional, 1'000'000 * kDollar}));
  // At least one execution per order; verify (in TearDown) checks that every
  // execution in ss1 is booked exactly once.
  EXPECT_GE(executionsBooked() - bookedBefore, orders.size());
}

// (d) Buying power refuses an over-sized order with the typed reason, and
// accepts it once a deposit (made idempotent by its reference) has replicated.
TEST_F(FirmLifecycleTest, BuyingPowerRefusesUntilADepositArrives) {
  openAccount("bea", 1'000);
  auto customers = everywhere("bea");
  auto refused = customers[0]->place("bea-1", "BIGB", idl::Side::BUY, 20, 100 * kDollar);
  ASSERT_TRUE(refused.getResult().isError());
  EXPECT_EQ(refused.getResult().getError().getCode(), idl::ErrorCode::INSUFFICIENT_BUYING_POWER);
  EXPECT_EQ(std::string(refused.getResult().getError().getReason().cStr()),
            "insufficient buying power: needs 2,000.00, has 1,000.00");

  // A deposit with a reference, retried as after notReplicated: posted once.
  auto deposit = [&](const std::string& reference, int64_t dollars) {
    auto request = firm()->depositRequest();
    request.setAccount("bea");
    request.setCurrency("USD");
    request.setAmountMicros(dollars * kDollar);
    request.setReference(reference);
    auto response = firm().call(kj::mv(request));
    auto result = response.getResult();
    return result.isOk()
               ? std::string(result.getOk().cStr())
               : "error " + std::to_string(static_cast<int>(result.getError().getCode())) + ": " +
                     result.getError().getReason().cStr();
  };
  const std::string first = deposit("bea-wire-1", 1'500);
  EXPECT_EQ(first.rfind("deposited 1,500.00 USD to bea (posting firm-", 0), 0u) << first;
  EXPECT_NE(first.find("reference bea-wire-1); cash 2,500.00, settled 2,500.00"), std::string::npos)
      << first;
  const std::string retried = deposit("bea-wire-1", 1'500);
  EXPECT_EQ(retried, first + "; a repeat: nothing new was posted");
  const std::string reused = deposit("bea-wire-1", 1'000);
  EXPECT_EQ(reused.rfind("error " + std::to_string(static_cast<int>(idl::ErrorCode::DUPLICATE)) +
                             ": reference 'bea-wire-1' was already used",
                         0),
            0u)
      << reused;

  // triadctl does the same with --reference: the second run posts nothing.
  auto triadctl = [&](std::string* output) {
    ChildProcess ctl(
        testing::builtProgram("tools/triadctl/triadctl"),
        {"--topology", shared_->deployment.topologyPath().string(), "--ca",
         (shared_->deployment.adminTlsPath() / "ca.crt").string(), "--cert",
         (shared_->deployment.adminTlsPath() / "operator-test-admin.crt").string(), "--key",
         (shared_->deployment.adminTlsPath() / "operator-test-admin.key").string(), "deposit",
         "bea", "0.50", "--reference", "bea-ctl-1"});
    output->clear();
    while (auto line = ctl.readLine(30s)) *output += *line + "\n";
    return ctl.wait(30s).value_or(-1);
  };
  std::string output;
  EXPECT_EQ(triadctl(&output), 0) << output;
  EXPECT_NE(output.find("cash 2,500.50"), std::string::npos) << output;
  EXPECT_EQ(triadctl(&output), 0) << output;
  EXPECT_NE(output.find("cash 2,500.50, settled 2,500.50; a repeat"), std::string::npos) << output;

  waitForFirmReplicas();
  expectEverywhere(customers, "BIGB", {2'500'500'000, 2'500'500'000}, {});
  const std::string accepted =
      customers[1]->placeAccepted("bea-2", "BIGB", idl::Side::BUY, 20, 100 * kDollar + 5 * kCent);
  ASSERT_FALSE(accepted.empty());
  EXPECT_EQ(customers[1]->filled(accepted).first, 20);
}

// (e) A halt refuses new orders at every customer utility once replicated;
// resume allows them again.
TEST_F(FirmLifecycleTest, HaltRefusesAtEveryCustomerUtilityAndResumeAllows) {
  openAccount("hal", 10'000);
  auto customers = everywhere("hal");
  auto halt = firm()->haltRequest();
  halt.setSymbol("HALT");
  halt.setReason("news pending");
  expectOk(firm().call(kj::mv(halt)).getResult());
  waitForFirmReplicas();
  for (size_t i = 0; i < customers.size(); ++i) {
    auto refused = customers[i]->place("hal-h" + std::to_string(i), "HALT", idl::Side::BUY, 1,
                                       100 * kDollar + 5 * kCent);
    ASSERT_TRUE(refused.getResult().isError()) << kCustomers[i];
    EXPECT_EQ(refused.getResult().getError().getCode(), idl::ErrorCode::HALTED) << kCustomers[i];
    EXPECT_EQ(std::string(refused.getResult().getError().getReason().cStr()),
              "trading in HALT is halted: news pending");
  }

  auto resume = firm()->resumeRequest();
  resume.setSymbol("HALT");
  expectOk(firm().call(kj::mv(resume)).getResult());
  waitForFirmReplicas();
  for (size_t i = 0; i < customers.size(); ++i) {
    const std::string order = customers[i]->placeAccepted(
        "hal-r" + std::to_string(i), "HALT", idl::Side::BUY, 1, 100 * kDollar + 5 * kCent);
    ASSERT_FALSE(order.empty()) << kCustomers[i];
    EXPECT_EQ(customers[i]->filled(order).first, 1) << kCustomers[i];
  }
  expectEverywhere(customers, "HALT",
                   {10'000 * kDollar - 3 * (100 * kDollar + kCent), 10'000 * kDollar},
                   {3, 100 * kDollar + kCent, 0});
}

// (f) Settlement moves T+1 cash: by the Admin call, and by the schedule
// (here same-day, every second, after a restart with those options).
TEST_F(FirmLifecycleTest, SettlementMovesTradeCashByAdminCallAndBySchedule) {
  openAccount("sam", 10'000);
  auto customers = everywhere("sam");
  const std::string buy =
      customers[0]->placeAccepted("sam-1", "SETL", idl::Side::BUY, 10, 100 * kDollar + 5 * kCent);
  ASSERT_FALSE(buy.empty());
  customers[0]->filled(buy);
  const int64_t afterBuy = 10'000 * kDollar - 10 * (100 * kDollar + kCent);
  expectEverywhere(customers, "SETL", {afterBuy, 10'000 * kDollar}, {10, 100 * kDollar + kCent, 0});

  // Settling through yesterday (the default) leaves today's trade alone...
  auto settle = [&](int32_t through) {
    auto request = firm()->settleRequest();
    request.setThroughTradeDate(through);
    auto response = firm().call(kj::mv(request));
    EXPECT_TRUE(response.getResult().isOk()) << response.getResult().getError().getReason().cStr();
    return response.getResult().isOk() ? std::string(response.getResult().getOk().cStr()) : "";
  };
  settle(0);
  waitForFirmReplicas();
  expectEverywhere(customers, "SETL", {afterBuy, 10'000 * kDollar}, {10, 100 * kDollar + kCent, 0});
  // ...through today moves it (and every other account's trades today), once.
  EXPECT_EQ(settle(today()).rfind("settled through " + std::to_string(today()), 0), 0u);
  EXPECT_EQ(settle(today()), "nothing to settle through " + std::to_string(today()));
  waitForFirmReplicas();
  expectEverywhere(customers, "SETL", {afterBuy, afterBuy}, {10, 100 * kDollar + kCent, 0});

  // The schedule: the firm settles by itself, same day, every second.
  restartFirm(SIGTERM, {"--settle-every", "1", "--settlement-days", "0"});
  if (HasFatalFailure()) return;
  const std::string sell =
      customers[1]->placeAccepted("sam-2", "SETL", idl::Side::SELL, 4, 99 * kDollar + 95 * kCent);
  ASSERT_FALSE(sell.empty());
  customers[1]->filled(sell);
  const int64_t afterSell = afterBuy + 4 * (99 * kDollar + 99 * kCent);
  expectEverywhere(customers, "SETL", {afterSell, afterSell},
                   {6, 100 * kDollar + kCent, -8 * kCent});
  EXPECT_NE(shared_->deployment.log("firm").find("event=settlement-run"), std::string::npos);

  // Back to the daily schedule, for whatever runs next.
  restartFirm(SIGTERM);
}

}  // namespace
}  // namespace triad::firm
