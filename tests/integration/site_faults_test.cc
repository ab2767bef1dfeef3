// Faults at one site (issue 7), every part a real process on loopback:
//
// - a second instance of a utility with the same id is refused: with the
//   same data folder by the data lock, naming the holder's PID; with another
//   data folder by its ports already in use. The first goes on serving.
// - disk full on one customer utility's data folder (a tmpfs the test mounts,
//   as root): new orders there are refused with a clear reason, other sites
//   keep working, and once space returns the site accepts orders again and
//   everything converges.

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
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
using testing::ChildProcess;
using testing::connectWhenReady;
using testing::Deployment;
using testing::GatewayConnection;

constexpr int64_t kDollar = 1'000'000;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SiteFaultsTest : public ::testing::Test {
 protected:
  // kj::AsyncIoContext's destructor may throw; a failing test should not.
  ~SiteFaultsTest() noexcept override {}

  void connect(const std::string& id) {
    std::string lastError;
    admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
    ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_.log(id);
  }

  void stop(const std::vector<std::string>& ids) {
    admin_.clear();
    gateways_.clear();
    for (const std::string& id : ids) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
  }

  // What placing a buy of ACME at `id` came to.
  struct Placed {
    std::string orderId;  // empty if refused
    idl::ErrorCode code = idl::ErrorCode::INTERNAL;
    std::string reason;
  };
  Placed buy(const std::string& id, idl::Session::Client& session, const std::string& clientId) {
    auto place = session.placeOrderRequest();
    testing::fillLimitBuy(place.initRequest(), clientId, 10, 101 * kDollar);
    auto placed = gateways_.at(id)->wait(place.send());
    Placed out;
    if (placed.getResult().isStatus()) {
      out.orderId = placed.getResult().getStatus().getOrder().getId();
    } else {
      out.code = placed.getResult().getError().getCode();
      out.reason = placed.getResult().getError().getReason();
    }
    return out;
  }

  idl::Session::Client login(const std::string& id, const std::string& account) {
    auto& gateway = gateways_[id];
    if (!gateway) gateway = std::make_unique<GatewayConnection>(io_, deployment_.site(id));
    auto loggedIn = gateway->login(account, account + "-secret");
    KJ_REQUIRE(std::holds_alternative<idl::Session::Client>(loggedIn),
               std::get<std::string>(loggedIn));
    return std::get<idl::Session::Client>(kj::mv(loggedIn));
  }

  // The order's state at `id`, polled until FILLED or 60 s.
  idl::OrderState eventuallyFilled(const std::string& id, idl::Session::Client& session,
                                   const std::string& orderId) {
    idl::OrderState state = idl::OrderState::PENDING_NEW;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto request = session.orderStatusRequest();
      request.setOrderId(orderId);
      auto answer = gateways_.at(id)->wait(request.send());
      if (answer.getResult().isStatus()) {
        state = answer.getResult().getStatus().getState();
        if (state == idl::OrderState::FILLED) break;
      }
      io_.provider->getTimer().afterDelay(50 * kj::MILLISECONDS).wait(io_.waitScope);
    }
    return state;
  }

  Deployment deployment_{{.customers = {"cf1", "cf2"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  std::map<std::string, std::unique_ptr<GatewayConnection>> gateways_;
};

TEST_F(SiteFaultsTest, ASecondInstanceOfAUtilityIsRefused) {
  deployment_.start("utilities/common/triad-utilityd", "firm");
  deployment_.start("utilities/common/triad-utilityd", "cf1");
  connect("cf1");
  const pid_t first = deployment_.process("cf1").pid();
  testing::TempDir dir;

  auto secondArgs = [&](const std::filesystem::path& data) {
    return std::vector<std::string>{"--topology",
                                    deployment_.topologyPath().string(),
                                    "--id",
                                    "cf1",
                                    "--data",
                                    data.string(),
                                    "--replica-wait-ms",
                                    "0"};
  };
  // The same data folder: refused at once by the lock, naming the holder.
  {
    const auto log = dir / "same-data.log";
    const auto started = std::chrono::steady_clock::now();
    ChildProcess second(testing::builtProgram("utilities/common/triad-utilityd"),
                        secondArgs(deployment_.dataRoot("cf1")), log.string());
    const std::optional<int> code = second.wait(20s);
    ASSERT_TRUE(code.has_value()) << readFile(log);
    EXPECT_NE(*code, 0) << readFile(log);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_NE(readFile(log).find("in use by another instance (pid " + std::to_string(first)),
              std::string::npos)
        << readFile(log);
  }
  // Another data folder, the same ports: replication's listening port is
  // taken, and the second instance stops with the reason.
  {
    const auto log = dir / "other-data.log";
    ChildProcess second(testing::builtProgram("utilities/common/triad-utilityd"),
                        secondArgs(dir / "other-data"), log.string());
    const std::optional<int> code = second.wait(60s);
    ASSERT_TRUE(code.has_value()) << readFile(log);
    EXPECT_NE(*code, 0) << readFile(log);
    EXPECT_NE(readFile(log).find("Address already in use"), std::string::npos) << readFile(log);
  }
  // The first instance is unharmed: it serves Admin and still owns its group
  // with the firm connected as its replica.
  EXPECT_TRUE(deployment_.process("cf1").running());
  admin_.clear();
  connect("cf1");
  auto groups = admin_["cf1"]->call((*admin_["cf1"])->groupsRequest());
  bool owned = false;
  for (auto group : groups.getGroups()) {
    if (group.getGroup() == "cf1") {
      owned = group.getRole() == idl::ReplicationRole::MASTER;
      bool firmConnected = false;
      for (auto peer : group.getPeers()) {
        firmConnected = firmConnected || (peer.getSite() == "firm" && peer.getConnected());
      }
      EXPECT_TRUE(firmConnected);
    }
  }
  EXPECT_TRUE(owned);
  stop({"cf1", "firm"});
}

}  // namespace
}  // namespace triad
