// triad-firmd as a process, with triad-utilityd as site cf1 (a replica of the
// firm group that acknowledges its commits), on a topology written for the
// test (fresh loopback addresses, free ports). An operator's writes go over
// Admin RPC; the books' refusals come back typed with their reasons; and cf1's
// replica of the firm group then holds what was written.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/topology.h"
#include "idl/admin.capnp.h"
#include "tests/support/child_process.h"
#include "tests/support/deployment.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"
#include "utilities/common/site_storage.h"
#include "utilities/firm/account_reads.h"

namespace triad::firm {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::ChildProcess;
using testing::connectWhenReady;
using testing::Deployment;

constexpr int64_t kDollar = 1'000'000;

struct Outcome {
  bool ok = false;
  std::string text;  // ok's text, or the error's reason
  idl::ErrorCode code = idl::ErrorCode::INTERNAL;
};

Outcome outcomeOf(idl::AdminResult::Reader result) {
  if (result.isOk()) return {true, result.getOk(), idl::ErrorCode::INTERNAL};
  return {false, result.getError().getReason(), result.getError().getCode()};
}

std::ostream& operator<<(std::ostream& out, const Outcome& outcome) {
  return out << (outcome.ok ? "ok: "
                            : "error " + std::to_string(static_cast<int>(outcome.code)) + ": ")
             << outcome.text;
}

// The firm group's commit sequence as `site` reports it in groups.
std::optional<uint64_t> firmCommitAt(AdminConnection& admin) {
  auto response = admin.call(admin->groupsRequest());
  for (idl::GroupStatus::Reader group : response.getGroups()) {
    if (group.getGroup() == "firm") return group.getCommitSequence();
  }
  return std::nullopt;
}

// ---- The test ----

TEST(FirmdTest, OperatorWritesTheBooksOverAdminAndTheReplicaHoldsThem) {
  Deployment deployment({.customers = {"cf1"}, .streets = {"ss1"}});
  deployment.start("utilities/firm/triad-firmd", "firm");
  deployment.start("utilities/common/triad-utilityd", "cf1");
  kj::AsyncIoContext io = kj::setupAsyncIo();

  std::string lastError;
  std::unique_ptr<AdminConnection> firm =
      connectWhenReady(io, deployment.site("firm"), 120s, &lastError);
  ASSERT_NE(firm, nullptr) << lastError << "\n" << deployment.log("firm");
  std::unique_ptr<AdminConnection> cf1 =
      connectWhenReady(io, deployment.site("cf1"), 120s, &lastError);
  ASSERT_NE(cf1, nullptr) << lastError << "\n" << deployment.log("cf1");

  // createAccount, and a second one with the same id refused.
  auto createAlice = [&]() {
    auto request = (*firm)->createAccountRequest();
    idl::AccountRequest::Builder account = request.initRequest();
    account.setId("alice");
    account.setName("Alice Example");
    account.setSecret("correct horse");
    account.setCurrency("USD");
    account.initLimits().setMaxOrderNotionalMicros(50'000 * kDollar);
    return outcomeOf(firm->call(kj::mv(request)).getResult());
  };
  Outcome created = createAlice();
  ASSERT_TRUE(created.ok) << created << "\n" << deployment.log("firm");
  EXPECT_EQ(created.text, "account alice created in USD");
  Outcome again = createAlice();
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.code, idl::ErrorCode::DUPLICATE) << again;
  EXPECT_EQ(again.text, "account 'alice' already exists");

  // Cash in; a withdrawal beyond settled cash refused with the Books reason.
  auto moveCash = [&](bool deposit, int64_t micros) {
    if (deposit) {
      auto request = (*firm)->depositRequest();
      request.setAccount("alice");
      request.setCurrency("USD");
      request.setAmountMicros(micros);
      return outcomeOf(firm->call(kj::mv(request)).getResult());
    }
    auto request = (*firm)->withdrawRequest();
    request.setAccount("alice");
    request.setCurrency("USD");
    request.setAmountMicros(micros);
    return outcomeOf(firm->call(kj::mv(request)).getResult());
  };
  Outcome deposited = moveCash(true, 1'000 * kDollar);
  ASSERT_TRUE(deposited.ok) << deposited;
  EXPECT_NE(deposited.text.find("deposited 1,000.00 USD to alice"), std::string::npos) << deposited;
  Outcome overdrawn = moveCash(false, 2'500 * kDollar);
  EXPECT_FALSE(overdrawn.ok);
  EXPECT_EQ(overdrawn.code, idl::ErrorCode::INSUFFICIENT_BUYING_POWER) << overdrawn;
  EXPECT_EQ(overdrawn.text, "insufficient settled cash: needs 2,500.00, has 1,000.00");
  Outcome withdrawn = moveCash(false, 250 * kDollar);
  ASSERT_TRUE(withdrawn.ok) << withdrawn;
  EXPECT_NE(withdrawn.text.find("cash 750.00, settled 750.00"), std::string::npos) << withdrawn;

  // An unknown account is notFound, not a crash or a silent drop.
  {
    auto request = (*firm)->depositRequest();
    request.setAccount("nobody");
    request.setCurrency("USD");
    request.setAmountMicros(kDollar);
    Outcome unknown = outcomeOf(firm->call(kj::mv(request)).getResult());
    EXPECT_FALSE(unknown.ok);
    EXPECT_EQ(unknown.code, idl::ErrorCode::NOT_FOUND) << unknown;
    EXPECT_EQ(unknown.text, "no account 'nobody'");
  }

  // setLimits, then accounts: the new limits, and never the secret's hash.
  {
    auto request = (*firm)->setLimitsRequest();
    request.setAccount("alice");
    auto limits = request.initLimits();
    limits.setMaxPosition(500);
    limits.initAllowedSymbols(1).set(0, "AAPL");
    Outcome set = outcomeOf(firm->call(kj::mv(request)).getResult());
    EXPECT_TRUE(set.ok) << set;
  }
  {
    auto response = firm->call((*firm)->accountsRequest());
    ASSERT_EQ(response.getAccounts().size(), 1u);
    idl::Account::Reader alice = response.getAccounts()[0];
    EXPECT_EQ(alice.getId(), "alice");
    EXPECT_EQ(alice.getName(), "Alice Example");
    EXPECT_EQ(alice.getCurrency(), "USD");
    EXPECT_FALSE(alice.hasSecretHash()) << "accounts lists the secret's hash";
    EXPECT_EQ(alice.getLimits().getMaxPosition(), 500);
    EXPECT_EQ(alice.getLimits().getMaxOrderNotionalMicros(), 0);
    ASSERT_EQ(alice.getLimits().getAllowedSymbols().size(), 1u);
    EXPECT_EQ(alice.getLimits().getAllowedSymbols()[0], "AAPL");
    EXPECT_GT(alice.getCreatedAtNanos(), 0);
  }

  // halt and resume.
  {
    auto request = (*firm)->haltRequest();
    request.setSymbol("AAPL");
    request.setReason("news pending");
    Outcome halted = outcomeOf(firm->call(kj::mv(request)).getResult());
    EXPECT_TRUE(halted.ok) << halted;
    EXPECT_EQ(halted.text, "AAPL halted: news pending");
    auto noReason = (*firm)->haltRequest();
    noReason.setSymbol("MSFT");
    Outcome refused = outcomeOf(firm->call(kj::mv(noReason)).getResult());
    EXPECT_EQ(refused.code, idl::ErrorCode::INVALID_ARGUMENT) << refused;
    EXPECT_EQ(refused.text, "a halt needs a reason");
    auto resume = (*firm)->resumeRequest();
    resume.setSymbol("AAPL");
    Outcome resumed = outcomeOf(firm->call(kj::mv(resume)).getResult());
    EXPECT_TRUE(resumed.ok) << resumed;
  }

  // setRoute and routes; a route to a street the topology lacks is refused.
  auto setRoute = [&](const char* symbol, const char* street, const char* venue) {
    auto request = (*firm)->setRouteRequest();
    idl::VenueRoute::Builder route = request.initRoute();
    route.setSymbol(symbol);
    route.setStreet(street);
    route.setVenue(venue);
    route.setCurrency("USD");
    route.setLastPriceMicros(190 * kDollar);
    return outcomeOf(firm->call(kj::mv(request)).getResult());
  };
  Outcome routed = setRoute("AAPL", "ss1", "xtst");
  EXPECT_TRUE(routed.ok) << routed;
  Outcome byDefault = setRoute("*", "ss1", "xtst");
  EXPECT_TRUE(byDefault.ok) << byDefault;
  Outcome nowhere = setRoute("MSFT", "ss9", "xtst");
  EXPECT_EQ(nowhere.code, idl::ErrorCode::INVALID_ARGUMENT) << nowhere;
  EXPECT_EQ(nowhere.text, "route for MSFT: 'ss9' is not a street utility in the topology");
  Outcome noVenue = setRoute("MSFT", "ss1", "xnys");
  EXPECT_EQ(noVenue.code, idl::ErrorCode::INVALID_ARGUMENT) << noVenue;
  {
    auto response = firm->call((*firm)->routesRequest());
    ASSERT_EQ(response.getRoutes().size(), 2u);
    EXPECT_EQ(response.getRoutes()[0].getSymbol(), "*");
    idl::VenueRoute::Reader aapl = response.getRoutes()[1];
    EXPECT_EQ(aapl.getSymbol(), "AAPL");
    EXPECT_EQ(aapl.getStreet(), "ss1");
    EXPECT_EQ(aapl.getVenue(), "xtst");
    EXPECT_EQ(aapl.getLastPriceMicros(), 190 * kDollar);
  }

  // settle through yesterday: no trades, nothing due. A malformed date is refused.
  {
    auto request = (*firm)->settleRequest();
    request.setThroughTradeDate(0);
    Outcome settled = outcomeOf(firm->call(kj::mv(request)).getResult());
    EXPECT_TRUE(settled.ok) << settled;
    EXPECT_EQ(settled.text.rfind("nothing to settle through 20", 0), 0u) << settled;
    auto bad = (*firm)->settleRequest();
    bad.setThroughTradeDate(1234);
    Outcome refused = outcomeOf(firm->call(kj::mv(bad)).getResult());
    EXPECT_EQ(refused.code, idl::ErrorCode::INVALID_ARGUMENT) << refused;
    EXPECT_EQ(refused.text, "trade date 1234 is not yyyymmdd");
  }

  // verify: the books are clean.
  {
    auto response = firm->call((*firm)->verifyRequest());
    idl::VerifyReport::Reader report = response.getReport();
    EXPECT_TRUE(report.getClean());
    for (capnp::Text::Reader finding : report.getFindings()) ADD_FAILURE() << finding.cStr();
    EXPECT_EQ(report.getExecutionsBooked(), 0u);
  }

  // cf1's replica of the firm group catches up with every commit above...
  std::optional<uint64_t> written = firmCommitAt(*firm);
  ASSERT_TRUE(written.has_value());
  ASSERT_GT(*written, 0u);
  std::optional<uint64_t> replicated;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    replicated = firmCommitAt(*cf1);
    if (replicated && *replicated >= *written) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(replicated.has_value());
  ASSERT_GE(*replicated, *written) << "cf1's replica of the firm group did not catch up";

  // ...and, once cf1 has stopped, its data reads the account: the balance
  // and the secret a customer utility will check at login.
  cf1.reset();
  deployment.process("cf1").kill(SIGTERM);
  EXPECT_EQ(deployment.process("cf1").wait(60s), std::optional<int>(0)) << deployment.log("cf1");
  {
    common::SiteStorageOptions options;
    options.dataRoot = deployment.dataRoot("cf1");
    options.tls = deployment.tlsPath();
    std::unique_ptr<common::SiteStorage> storage;
    bdb::Status s = common::SiteStorage::open(deployment.topology(), "cf1", options, &storage);
    ASSERT_TRUE(s.isOk()) << s.toString();
    bdb::OwnershipGroup* replica = storage->group("firm");
    ASSERT_TRUE(replica->waitForCommit(*written, 30s));
    Result<CashBalance> cash = Error::refused(idl::ErrorCode::UNAVAILABLE, "not read yet");
    const auto readBy = std::chrono::steady_clock::now() + 30s;
    do {
      cash = balanceOf(*replica, "alice", "USD");
      if (cash.isOk() || cash.error().code != idl::ErrorCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < readBy);
    ASSERT_TRUE(cash.isOk()) << cash.toString();
    EXPECT_EQ(cash.value().tradeDateMicros, 750 * kDollar);
    EXPECT_EQ(cash.value().settledMicros, 750 * kDollar);
    Result<> login = authenticate(*replica, "alice", "correct horse");
    EXPECT_TRUE(login.isOk()) << login.toString();
    Result<> wrong = authenticate(*replica, "alice", "wrong horse");
    EXPECT_FALSE(wrong.isOk());
  }

  // SIGTERM: triad-firmd closes the books and its storage, and exits 0.
  firm.reset();
  deployment.process("firm").kill(SIGTERM);
  EXPECT_EQ(deployment.process("firm").wait(60s), std::optional<int>(0)) << deployment.log("firm");
  const std::string log = deployment.log("firm");
  EXPECT_NE(log.find("event=books-open group=firm"), std::string::npos) << log;
  EXPECT_NE(log.find("event=admin-withdraw subject=alice result=refused"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("correct horse"), std::string::npos) << "a secret reached the log";
}

}  // namespace
}  // namespace triad::firm
