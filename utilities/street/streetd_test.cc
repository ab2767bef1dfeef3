// triad-streetd as a process (ss1), between triad-customerd (cf1), triad-firmd
// (the firm) and triad-exchanged (xtst, FIX.4.4): an order placed at the
// Gateway is routed over FIX, filled by the exchange's liquidity provider and
// seen FILLED at cf1; a resting order is cancelled through the same path.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <filesystem>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"

namespace triad::street {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::connectWhenReady;
using testing::Deployment;
using testing::GatewayConnection;
using testing::openFundedAccount;
using testing::routeEverySymbol;

constexpr int64_t kDollar = 1'000'000;

class StreetdTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~StreetdTest() noexcept override {}

  void SetUp() override {
    deployment_.startExchange("xtst");
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start("utilities/customer/triad-customerd", "cf1");
    deployment_.start("utilities/street/triad-streetd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "ss1"}) {
      admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_.log(id);
    }
    AdminConnection& firm = *admin_["firm"];
    openFundedAccount(firm, "alice", 10'000);
    routeEverySymbol(firm, "ss1", "xtst", 100);
    testing::waitForFirmReplicas(firm, {admin_["cf1"].get()});
  }

  void TearDown() override {
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    deployment_.process("xtst").kill(SIGTERM);
    EXPECT_EQ(deployment_.process("xtst").wait(60s), 0);
  }

  // Polls orderStatus until the order is in `state`; the last status seen.
  idl::OrderStatus::Reader eventuallyInState(GatewayConnection& gateway,
                                             idl::Session::Client& session,
                                             const std::string& orderId, idl::OrderState state) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto request = session.orderStatusRequest();
      request.setOrderId(orderId);
      last_ = kj::heap(gateway.wait(request.send()));
      if (last_->getResult().isStatus() && last_->getResult().getStatus().getState() == state) {
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (last_.get() == nullptr || !last_->getResult().isStatus()) return {};
    return last_->getResult().getStatus();
  }

  std::string place(GatewayConnection& gateway, idl::Session::Client& session,
                    const std::string& clientId, int64_t quantity, int64_t priceMicros) {
    auto request = session.placeOrderRequest();
    testing::fillLimitBuy(request.initRequest(), clientId, quantity, priceMicros);
    auto placed = gateway.wait(request.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  kj::Own<capnp::Response<idl::Session::OrderStatusResults>> last_;
};

TEST_F(StreetdTest, MarketableBuyFillsAndRestingBuyCancels) {
  GatewayConnection cf1(io_, deployment_.site("cf1"));
  auto loggedIn = cf1.login("alice", "alice-secret");
  ASSERT_TRUE(std::holds_alternative<idl::Session::Client>(loggedIn))
      << std::get<std::string>(loggedIn);
  idl::Session::Client session = std::get<idl::Session::Client>(kj::mv(loggedIn));

  const std::string filled = place(cf1, session, "alice-1", 10, 101 * kDollar);
  ASSERT_FALSE(filled.empty());
  auto status = eventuallyInState(cf1, session, filled, idl::OrderState::FILLED);
  EXPECT_EQ(status.getState(), idl::OrderState::FILLED) << "\n" << deployment_.log("ss1");
  EXPECT_EQ(status.getFilledQuantity(), 10);

  const std::string resting = place(cf1, session, "alice-2", 10, 90 * kDollar);
  ASSERT_FALSE(resting.empty());
  EXPECT_EQ(eventuallyInState(cf1, session, resting, idl::OrderState::NEW).getState(),
            idl::OrderState::NEW);
  auto cancel = session.cancelOrderRequest();
  cancel.setOrderId(resting);
  auto cancelled = cf1.wait(cancel.send());
  ASSERT_TRUE(cancelled.getResult().isRequestId())
      << cancelled.getResult().getError().getReason().cStr();
  status = eventuallyInState(cf1, session, resting, idl::OrderState::CANCELLED);
  EXPECT_EQ(status.getState(), idl::OrderState::CANCELLED) << "\n" << deployment_.log("ss1");
  EXPECT_EQ(status.getFilledQuantity(), 0);
}

}  // namespace
}  // namespace triad::street
