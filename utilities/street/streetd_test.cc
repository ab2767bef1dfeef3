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
#include "tests/support/deployment.h"

namespace triad::street {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::ChildProcess;
using testing::connectWhenReady;
using testing::Deployment;

constexpr int64_t kDollar = 1'000'000;

// A customer's session at one utility's Gateway.
class GatewayConnection {
 public:
  GatewayConnection(kj::AsyncIoContext& io, const topology::Utility& site)
      : io_(io),
        stream_(io.provider->getNetwork()
                    .parseAddress(*site.customerAddress, site.gatewayPort)
                    .then([](kj::Own<kj::NetworkAddress> a) { return a->connect(); })
                    .wait(io.waitScope)),
        client_(*stream_),
        gateway_(client_.bootstrap().castAs<idl::Gateway>()) {}

  idl::Session::Client login(const std::string& account, const std::string& secret) {
    auto request = gateway_.loginRequest();
    request.setAccount(account);
    request.setSecret(secret);
    auto response = wait(request.send());
    EXPECT_FALSE(response.getResult().isError())
        << response.getResult().getError().getReason().cStr();
    return response.getResult().getSession();
  }

  template <typename T>
  T wait(kj::Promise<T>&& promise) {
    return io_.provider->getTimer()
        .timeoutAfter(30 * kj::SECONDS, kj::mv(promise))
        .wait(io_.waitScope);
  }

 private:
  kj::AsyncIoContext& io_;
  kj::Own<kj::AsyncIoStream> stream_;
  capnp::TwoPartyClient client_;
  idl::Gateway::Client gateway_;
};

uint64_t firmCommitAt(AdminConnection& admin) {
  auto response = admin.call(admin->groupsRequest());
  for (idl::GroupStatus::Reader group : response.getGroups()) {
    if (group.getGroup() == "firm") return group.getCommitSequence();
  }
  return 0;
}

void expectOk(idl::AdminResult::Reader result) {
  EXPECT_TRUE(result.isOk()) << result.getError().getReason().cStr();
}

class StreetdTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~StreetdTest() noexcept override {}

  void SetUp() override {
    const std::filesystem::path exchangeData = deployment_.dataRoot("xtst");
    std::filesystem::create_directories(exchangeData);
    exchange_ = std::make_unique<ChildProcess>(
        testing::builtProgram("exchange/triad-exchanged"),
        std::vector<std::string>{"--topology", deployment_.topologyPath().string(), "--id", "xtst",
                                 "--data", exchangeData.string()},
        (exchangeData / "xtst.log").string());
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start("utilities/customer/triad-customerd", "cf1");
    deployment_.start("utilities/street/triad-streetd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "ss1"}) {
      admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_.log(id);
    }
    AdminConnection& firm = *admin_["firm"];
    auto create = firm->createAccountRequest();
    auto account = create.initRequest();
    account.setId("alice");
    account.setName("alice");
    account.setSecret("alice-secret");
    account.setCurrency("USD");
    expectOk(firm.call(kj::mv(create)).getResult());
    auto deposit = firm->depositRequest();
    deposit.setAccount("alice");
    deposit.setCurrency("USD");
    deposit.setAmountMicros(10'000 * kDollar);
    expectOk(firm.call(kj::mv(deposit)).getResult());
    auto route = firm->setRouteRequest();
    auto r = route.initRoute();
    r.setSymbol("*");
    r.setStreet("ss1");
    r.setVenue("xtst");
    r.setCurrency("USD");
    r.setLastPriceMicros(100 * kDollar);
    expectOk(firm.call(kj::mv(route)).getResult());
    waitForFirmReplica();
  }

  void TearDown() override {
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    exchange_->kill(SIGTERM);
    EXPECT_EQ(exchange_->wait(60s), 0);
  }

  // Until cf1 holds everything the firm has written.
  void waitForFirmReplica() {
    const uint64_t target = firmCommitAt(*admin_["firm"]);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (firmCommitAt(*admin_["cf1"]) < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_GE(firmCommitAt(*admin_["cf1"]), target);
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

  static void buy(idl::OrderRequest::Builder request, const std::string& clientId, int64_t quantity,
                  int64_t priceMicros) {
    request.setClientOrderId(clientId);
    request.setSymbol("ACME");
    request.setSide(idl::Side::BUY);
    request.setType(idl::OrderType::LIMIT);
    request.setTimeInForce(idl::TimeInForce::DAY);
    request.setQuantity(quantity);
    request.setLimitPriceMicros(priceMicros);
  }

  std::string place(GatewayConnection& gateway, idl::Session::Client& session,
                    const std::string& clientId, int64_t quantity, int64_t priceMicros) {
    auto request = session.placeOrderRequest();
    buy(request.initRequest(), clientId, quantity, priceMicros);
    auto placed = gateway.wait(request.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  std::unique_ptr<ChildProcess> exchange_;
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  kj::Own<capnp::Response<idl::Session::OrderStatusResults>> last_;
};

TEST_F(StreetdTest, MarketableBuyFillsAndRestingBuyCancels) {
  GatewayConnection cf1(io_, deployment_.site("cf1"));
  idl::Session::Client session = cf1.login("alice", "alice-secret");

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
