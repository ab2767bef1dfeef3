// triad-customerd as a process (cf1 and cf2), with triad-firmd (the firm),
// and triad-utilityd standing in for street utility ss1 (it replicates and
// acknowledges; routing arrives with triad-streetd). The operator sets up an
// account and the routing table over Admin; the customer uses the Gateway
// over Cap'n Proto RPC on the customer-facing addresses, and triad-trader.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"

namespace triad::customer {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::connectWhenReady;
using testing::Deployment;
using testing::expectOk;
using testing::GatewayConnection;
using testing::openFundedAccount;
using testing::routeEverySymbol;

constexpr int64_t kDollar = 1'000'000;

class CustomerdTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~CustomerdTest() noexcept override {}

  void SetUp() override {
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start("utilities/customer/triad-customerd", "cf1");
    deployment_.start("utilities/customer/triad-customerd", "cf2");
    deployment_.start("utilities/common/triad-utilityd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "cf2", "ss1"}) {
      admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError;
    }
    AdminConnection& firm = *admin_["firm"];
    for (const char* account : {"alice", "bob"}) openFundedAccount(firm, account, 10'000);
    routeEverySymbol(firm, "ss1", "xtst", 10);
    waitForFirmReplicas();
  }

  void TearDown() override {
    admin_.clear();
    for (const char* id : {"cf1", "cf2", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
  }

  // Until cf1 and cf2 hold everything the firm has written.
  void waitForFirmReplicas() {
    testing::waitForFirmReplicas(*admin_["firm"], {admin_["cf1"].get(), admin_["cf2"].get()});
  }

  idl::Session::Client login(GatewayConnection& gateway, const std::string& account) {
    auto session = gateway.login(account, account + "-secret");
    if (auto* refused = std::get_if<std::string>(&session)) {
      ADD_FAILURE() << "login refused: " << *refused;
    }
    return std::get<idl::Session::Client>(kj::mv(session));
  }

  // Polls orderStatus until the order is in `state` at that session's utility.
  idl::OrderState eventuallyInState(GatewayConnection& gateway, idl::Session::Client& session,
                                    const std::string& orderId, idl::OrderState state) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    idl::OrderState last = idl::OrderState::PENDING_NEW;
    while (std::chrono::steady_clock::now() < deadline) {
      auto request = session.orderStatusRequest();
      request.setOrderId(orderId);
      auto response = gateway.wait(request.send());
      if (response.getResult().isStatus()) {
        last = response.getResult().getStatus().getState();
        if (last == state) return last;
      }
      std::this_thread::sleep_for(20ms);
    }
    return last;
  }

  static void buy(idl::OrderRequest::Builder request, const std::string& clientId, int64_t quantity,
                  int64_t priceMicros, const std::string& symbol = "ACME") {
    request.setClientOrderId(clientId);
    request.setSymbol(symbol);
    request.setSide(idl::Side::BUY);
    request.setType(idl::OrderType::LIMIT);
    request.setTimeInForce(idl::TimeInForce::DAY);
    request.setQuantity(quantity);
    request.setLimitPriceMicros(priceMicros);
  }

  Deployment deployment_{{.customers = {"cf1", "cf2"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
};

TEST_F(CustomerdTest, OrderTakenAtOneUtilityIsSeenAndCancelledAtAnother) {
  GatewayConnection cf1(io_, deployment_.site("cf1"));
  GatewayConnection cf2(io_, deployment_.site("cf2"));
  EXPECT_EQ(std::get<std::string>(cf1.login("alice", "wrong")), "unknown account or wrong secret");
  idl::Session::Client atCf1 = login(cf1, "alice");
  idl::Session::Client atCf2 = login(cf2, "alice");

  auto place = atCf1.placeOrderRequest();
  buy(place.initRequest(), "alice-1", 100, 10'250'000);
  auto placed = cf1.wait(place.send());
  ASSERT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
  const std::string orderId = placed.getResult().getStatus().getOrder().getId();
  EXPECT_EQ(orderId.rfind("cf1-", 0), 0u) << orderId;
  EXPECT_EQ(placed.getResult().getStatus().getState(), idl::OrderState::PENDING_NEW);

  // The same order, derived from cf2's replicas.
  EXPECT_EQ(eventuallyInState(cf2, atCf2, orderId, idl::OrderState::PENDING_NEW),
            idl::OrderState::PENDING_NEW);
  auto cancel = atCf2.cancelOrderRequest();
  cancel.setOrderId(orderId);
  auto cancelled = cf2.wait(cancel.send());
  ASSERT_TRUE(cancelled.getResult().isRequestId())
      << cancelled.getResult().getError().getReason().cStr();
  EXPECT_EQ(std::string(cancelled.getResult().getRequestId().cStr()).rfind("cf2-", 0), 0u);
  EXPECT_EQ(eventuallyInState(cf1, atCf1, orderId, idl::OrderState::PENDING_CANCEL),
            idl::OrderState::PENDING_CANCEL);

  // A retried client order id is the same order.
  auto retry = atCf1.placeOrderRequest();
  buy(retry.initRequest(), "alice-1", 100, 10'250'000);
  EXPECT_EQ(std::string(cf1.wait(retry.send()).getResult().getStatus().getOrder().getId().cStr()),
            orderId);

  // Bob cannot see or cancel it.
  idl::Session::Client bob = login(cf1, "bob");
  auto peek = bob.orderStatusRequest();
  peek.setOrderId(orderId);
  auto peeked = cf1.wait(peek.send());
  ASSERT_TRUE(peeked.getResult().isError());
  EXPECT_EQ(peeked.getResult().getError().getCode(), idl::ErrorCode::NOT_FOUND);
}

TEST_F(CustomerdTest, BuyingPowerAndHaltsRefuseWithAReason) {
  GatewayConnection cf2(io_, deployment_.site("cf2"));
  idl::Session::Client session = login(cf2, "alice");

  auto tooBig = session.placeOrderRequest();
  buy(tooBig.initRequest(), "big-1", 1'000, 10'250'000);
  auto refused = cf2.wait(tooBig.send());
  ASSERT_TRUE(refused.getResult().isError());
  EXPECT_EQ(refused.getResult().getError().getCode(), idl::ErrorCode::INSUFFICIENT_BUYING_POWER);
  EXPECT_EQ(std::string(refused.getResult().getError().getReason().cStr()),
            "insufficient buying power: needs 10,250.00, has 10,000.00");

  auto halt = (*admin_["firm"])->haltRequest();
  halt.setSymbol("ACME");
  halt.setReason("news pending");
  expectOk(admin_["firm"]->call(kj::mv(halt)).getResult());
  waitForFirmReplicas();
  auto halted = session.placeOrderRequest();
  buy(halted.initRequest(), "halted-1", 10, 10'000'000);
  auto answer = cf2.wait(halted.send());
  ASSERT_TRUE(answer.getResult().isError());
  EXPECT_EQ(answer.getResult().getError().getCode(), idl::ErrorCode::HALTED);
  EXPECT_EQ(std::string(answer.getResult().getError().getReason().cStr()),
            "trading in ACME is halted: news pending");

  auto balance = cf2.wait(session.balanceRequest().send());
  ASSERT_TRUE(balance.getResult().isBalance());
  EXPECT_EQ(balance.getResult().getBalance().getTradeDateMicros(), 10'000 * kDollar);
}

TEST_F(CustomerdTest, TraderCommandLineUsesTheGateway) {
  std::vector<std::string> common = {"--topology", deployment_.topologyPath().string(),
                                     "--utility",  "cf1",
                                     "--account",  "alice",
                                     "--secret",   "alice-secret"};
  auto run = [&](std::vector<std::string> args, std::string* output) {
    args.insert(args.begin(), common.begin(), common.end());
    testing::ChildProcess trader(testing::builtProgram("tools/triad-trader/triad-trader"), args);
    output->clear();
    while (auto line = trader.readLine(30s)) *output += *line + "\n";
    return trader.wait(30s).value_or(-1);
  };
  std::string output;
  EXPECT_EQ(run({"buy", "GLOBX", "10", "--limit", "9.50", "--client-id", "cli-1"}, &output), 0)
      << output;
  EXPECT_NE(output.find("pending-new"), std::string::npos) << output;
  EXPECT_NE(output.find("9.5"), std::string::npos) << output;
  EXPECT_EQ(run({"orders"}, &output), 0);
  EXPECT_NE(output.find("GLOBX"), std::string::npos) << output;
  EXPECT_EQ(run({"buy", "GLOBX", "0", "--limit", "9.50"}, &output), 1) << output;
  EXPECT_EQ(run({"balance"}, &output), 0);
  EXPECT_NE(output.find("10,000.00"), std::string::npos) << output;
}

}  // namespace
}  // namespace triad::customer
