// Failed-login rate limiting and session expiry in triad-customerd, as a
// process (issue 7, Security; utilities/customer/login_guard.h), with short
// limits given on its command line: 3 failures in 4 s lock the account and
// the peer out, and a session expires after 2 s without a call.
//
// Processes: triad-firmd, triad-customerd (cf1), triad-utilityd as ss1.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <string>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::GatewayConnection;

class LoginLimitsTest : public ::testing::Test {
 protected:
  ~LoginLimitsTest() noexcept override {}

  void SetUp() override {
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start(
        "utilities/customer/triad-customerd", "cf1",
        {"--login-failures", "3", "--login-window-seconds", "4", "--session-idle-seconds", "2"});
    deployment_.start("utilities/common/triad-utilityd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "ss1"}) {
      admin_[id] = testing::connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError;
    }
    for (const char* account : {"alice", "bob"}) {
      testing::openFundedAccount(*admin_["firm"], account, 1'000);
    }
    testing::waitForFirmReplicas(*admin_["firm"], {admin_["cf1"].get()});
  }

  void TearDown() override {
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
  }

  testing::Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
};

std::string refusalOf(std::variant<idl::Session::Client, std::string> login) {
  auto* refused = std::get_if<std::string>(&login);
  return refused == nullptr ? "(logged in)" : *refused;
}

TEST_F(LoginLimitsTest, FailedLoginsAreRateLimitedAndIdleSessionsExpire) {
  GatewayConnection gateway(io_, deployment_.site("cf1"));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(refusalOf(gateway.login("alice", "wrong")), "unknown account or wrong secret") << i;
  }
  // The right secret does not help now: it is not even checked.
  const std::string limited = refusalOf(gateway.login("alice", "alice-secret"));
  EXPECT_EQ(limited.rfind("too many failed logins from this account; retry in ", 0), 0u) << limited;
  // The peer (this test's address) has failed 3 times too: Bob is refused as well.
  const std::string fromHere = refusalOf(gateway.login("bob", "bob-secret"));
  EXPECT_EQ(fromHere.rfind("too many failed logins from ", 0), 0u) << fromHere;
  ASSERT_LT(std::chrono::steady_clock::now() - start, 4s) << "the machine is too slow to tell";

  // Once the failures have aged out of the window, the right secret logs in.
  std::this_thread::sleep_until(start + 4500ms);
  auto login = gateway.login("alice", "alice-secret");
  ASSERT_TRUE(std::holds_alternative<idl::Session::Client>(login)) << refusalOf(kj::mv(login));
  idl::Session::Client session = std::get<idl::Session::Client>(kj::mv(login));

  // Used within its idle time, the session lives on.
  for (int i = 0; i < 3; ++i) {
    auto balance = gateway.wait(session.balanceRequest().send());
    EXPECT_TRUE(balance.getResult().isBalance()) << i;
    std::this_thread::sleep_for(1s);
  }
  // Idle for longer than 2 s: every call answers sessionExpired, for good.
  std::this_thread::sleep_for(2500ms);
  auto balance = gateway.wait(session.balanceRequest().send());
  ASSERT_TRUE(balance.getResult().isError());
  EXPECT_EQ(balance.getResult().getError().getCode(), idl::ErrorCode::SESSION_EXPIRED);
  EXPECT_EQ(std::string(balance.getResult().getError().getReason().cStr()),
            "the session expired after 2 s without a call; log in again");
  auto place = session.placeOrderRequest();
  place.initRequest().setClientOrderId("late-1");
  auto placed = gateway.wait(place.send());
  ASSERT_TRUE(placed.getResult().isError());
  EXPECT_EQ(placed.getResult().getError().getCode(), idl::ErrorCode::SESSION_EXPIRED);
  // listOrders has no error field: the call fails, naming the code.
  KJ_IF_MAYBE (failed, kj::runCatchingExceptions(
                           [&] { gateway.wait(session.listOrdersRequest().send()); })) {
    EXPECT_NE(std::string(failed->getDescription().cStr()).find("sessionExpired"),
              std::string::npos)
        << failed->getDescription().cStr();
  } else {
    ADD_FAILURE() << "an expired session listed orders";
  }

  // A new login gets a new session.
  EXPECT_TRUE(std::holds_alternative<idl::Session::Client>(gateway.login("alice", "alice-secret")));
}

}  // namespace
}  // namespace triad
