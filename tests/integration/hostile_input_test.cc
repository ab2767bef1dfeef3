// Hostile input (issue 7, "Bad input"): every Session method, the Gateway's
// login and every Admin write of the firm called with hostile values —
// negative, zero and huge quantities and prices (INT64_MIN/MAX), unknown enum
// ordinals, empty and one-megabyte strings, other accounts' order ids,
// replayed client order ids. Each must be answered with a typed error whose
// reason a person can read, leave the session or connection usable, and write
// nothing: the written group's commit sequence does not move, and the firm's
// books still verify.
//
// Processes: triad-firmd, one triad-customerd (cf1) and triad-utilityd
// standing in for street ss1 (a replica that acknowledges).

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <string>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::GatewayConnection;

constexpr int64_t kDollar = 1'000'000;
const std::string kMegabyte(1 << 20, 'A');
const std::string kMegabyteOfZeros(1 << 20, '\0');

// The group `group`'s commit sequence as `admin`'s site reports it.
uint64_t commitOf(AdminConnection& admin, const std::string& group) {
  auto response = admin.call(admin->groupsRequest());
  for (idl::GroupStatus::Reader status : response.getGroups()) {
    if (status.getGroup() == group) return status.getCommitSequence();
  }
  return 0;
}

// A refusal a person can read: the expected code, and one short printable line.
void expectRefused(idl::Error::Reader error, idl::ErrorCode code, const std::string& what) {
  EXPECT_EQ(error.getCode(), code) << what << ": " << error.getReason().cStr();
  const std::string reason = error.getReason();
  EXPECT_FALSE(reason.empty()) << what;
  EXPECT_LE(reason.size(), 300u) << what
                                 << ": the reason echoes the input: " << reason.substr(0, 200);
  for (char c : reason) {
    ASSERT_TRUE(c >= 0x20 && c != 0x7f) << what << ": a control character in the reason";
  }
}

class HostileInputTest : public ::testing::Test {
 protected:
  ~HostileInputTest() noexcept override {}

  void SetUp() override {
    deployment_.start("utilities/firm/triad-firmd", "firm");
    // The release mark moves only at start-up here: "nothing written" is
    // checked by cf1's commit count, which a release after the test's own
    // orders would move (order_desk.h).
    deployment_.start("utilities/customer/triad-customerd", "cf1",
                      {"--release-interval-ms", "3600000"});
    deployment_.start("utilities/common/triad-utilityd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "ss1"}) {
      admin_[id] = testing::connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError;
    }
    for (const char* account : {"alice", "bob"}) {
      testing::openFundedAccount(firm(), account, 10'000);
    }
    testing::routeEverySymbol(firm(), "ss1", "xtst", 10);
    testing::waitForFirmReplicas(firm(), {admin_["cf1"].get()});
  }

  void TearDown() override {
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
  }

  AdminConnection& firm() { return *admin_["firm"]; }

  idl::Session::Client login(GatewayConnection& gateway, const std::string& account) {
    auto session = gateway.login(account, account + "-secret");
    if (auto* refused = std::get_if<std::string>(&session)) {
      ADD_FAILURE() << "login refused: " << *refused;
    }
    return std::get<idl::Session::Client>(kj::mv(session));
  }

  // The session still answers a normal call.
  void expectUsable(GatewayConnection& gateway, idl::Session::Client& session,
                    const std::string& after) {
    auto balance = gateway.wait(session.balanceRequest().send());
    EXPECT_TRUE(balance.getResult().isBalance()) << "after " << after;
  }

  testing::Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
};

TEST_F(HostileInputTest, SessionRefusesHostileValuesAndWritesNothing) {
  GatewayConnection gateway(io_, deployment_.site("cf1"));
  idl::Session::Client alice = login(gateway, "alice");
  idl::Session::Client bob = login(gateway, "bob");

  // One good order of Bob's and one of Alice's, to replay and to peek at.
  auto place = [&](idl::Session::Client& session, const std::string& clientId) {
    auto request = session.placeOrderRequest();
    testing::fillLimitBuy(request.initRequest(), clientId, 10, 10 * kDollar);
    auto placed = gateway.wait(request.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    return std::string(placed.getResult().getStatus().getOrder().getId().cStr());
  };
  const std::string bobsOrder = place(bob, "bob-1");
  const std::string alicesOrder = place(alice, "alice-1");
  const uint64_t before = commitOf(*admin_["cf1"], "cf1");

  // ---- login ----
  struct Login {
    std::string what, account, secret;
  };
  for (const Login& hostile : std::vector<Login>{
           {"empty account", "", "x"},
           {"empty secret", "alice", ""},
           {"megabyte account", kMegabyte, "x"},
           {"megabyte secret", "alice", kMegabyte},
           {"zeros account", kMegabyteOfZeros, "x"},
           {"another account's secret", "alice", "bob-secret"},
       }) {
    auto refused = gateway.login(hostile.account, hostile.secret);
    ASSERT_TRUE(std::holds_alternative<std::string>(refused)) << hostile.what;
    const std::string& reason = std::get<std::string>(refused);
    EXPECT_LE(reason.size(), 300u) << hostile.what;
    EXPECT_FALSE(reason.empty()) << hostile.what;
  }

  // ---- placeOrder ----
  struct Order {
    std::string what;
    std::function<void(idl::OrderRequest::Builder)> edit;
    idl::ErrorCode code = idl::ErrorCode::INVALID_ARGUMENT;
  };
  auto quantity = [](int64_t q) { return [q](idl::OrderRequest::Builder r) { r.setQuantity(q); }; };
  auto price = [](int64_t p) {
    return [p](idl::OrderRequest::Builder r) { r.setLimitPriceMicros(p); };
  };
  const std::vector<Order> orders = {
      {"zero quantity", quantity(0)},
      {"negative quantity", quantity(-1)},
      {"INT64_MIN quantity", quantity(INT64_MIN)},
      {"INT64_MAX quantity", quantity(INT64_MAX)},
      {"a billion and one shares", quantity(1'000'000'001)},
      {"zero price", price(0)},
      {"negative price", price(-1)},
      {"INT64_MIN price", price(INT64_MIN)},
      {"INT64_MAX price", price(INT64_MAX)},
      {"a billion shares at a billion",
       [](idl::OrderRequest::Builder r) {
         r.setQuantity(1'000'000'000);
         r.setLimitPriceMicros(1'000'000'000 * kDollar);
       },
       idl::ErrorCode::INSUFFICIENT_BUYING_POWER},
      {"market order with INT64_MIN price",
       [](idl::OrderRequest::Builder r) {
         r.setType(idl::OrderType::MARKET);
         r.setLimitPriceMicros(INT64_MIN);
       }},
      {"market order with a huge quantity",
       [](idl::OrderRequest::Builder r) {
         r.setType(idl::OrderType::MARKET);
         r.setLimitPriceMicros(0);
         r.setQuantity(1'000'000'000);
       },
       idl::ErrorCode::INSUFFICIENT_BUYING_POWER},
      {"side 77", [](idl::OrderRequest::Builder r) { r.setSide(static_cast<idl::Side>(77)); }},
      {"type 77", [](idl::OrderRequest::Builder r) { r.setType(static_cast<idl::OrderType>(77)); }},
      {"time in force 77",
       [](idl::OrderRequest::Builder r) { r.setTimeInForce(static_cast<idl::TimeInForce>(77)); }},
      {"side 65535",
       [](idl::OrderRequest::Builder r) { r.setSide(static_cast<idl::Side>(65535)); }},
      {"empty symbol", [](idl::OrderRequest::Builder r) { r.setSymbol(""); }},
      {"megabyte symbol", [](idl::OrderRequest::Builder r) { r.setSymbol(kMegabyte); }},
      {"symbol with a NUL",
       [](idl::OrderRequest::Builder r) { r.setSymbol(capnp::Text::Reader("AC\0ME", 5)); }},
      {"empty client order id", [](idl::OrderRequest::Builder r) { r.setClientOrderId(""); }},
      {"megabyte client order id",
       [](idl::OrderRequest::Builder r) { r.setClientOrderId(kMegabyte); }},
      {"client order id with a space",
       [](idl::OrderRequest::Builder r) { r.setClientOrderId("a b"); }},
      {"replayed client order id, other quantity",
       [](idl::OrderRequest::Builder r) {
         r.setClientOrderId("alice-1");
         r.setQuantity(11);
       },
       idl::ErrorCode::DUPLICATE},
      {"replayed client order id, other symbol",
       [](idl::OrderRequest::Builder r) {
         r.setClientOrderId("alice-1");
         r.setSymbol("OTHER");
       },
       idl::ErrorCode::DUPLICATE},
  };
  for (const Order& hostile : orders) {
    auto request = alice.placeOrderRequest();
    auto order = request.initRequest();
    testing::fillLimitBuy(order, "hostile-1", 10, 10 * kDollar);
    hostile.edit(order);
    auto answer = gateway.wait(request.send());
    ASSERT_TRUE(answer.getResult().isError()) << hostile.what << " was accepted";
    expectRefused(answer.getResult().getError(), hostile.code, hostile.what);
    expectUsable(gateway, alice, hostile.what);
  }

  // An exact replay is the same order (idempotent), and writes nothing.
  {
    auto request = alice.placeOrderRequest();
    testing::fillLimitBuy(request.initRequest(), "alice-1", 10, 10 * kDollar);
    auto answer = gateway.wait(request.send());
    ASSERT_TRUE(answer.getResult().isStatus()) << answer.getResult().getError().getReason().cStr();
    EXPECT_EQ(std::string(answer.getResult().getStatus().getOrder().getId().cStr()), alicesOrder);
  }
  // Bob's client order id is not Alice's: it would be a new order, so it is
  // not tried here (it would write).

  // ---- cancelOrder and orderStatus ----
  const std::vector<std::pair<std::string, std::string>> ids = {
      {"empty id", ""},
      {"megabyte id", kMegabyte},
      {"megabyte of zeros", kMegabyteOfZeros},
      {"another account's order", bobsOrder},
      {"an order that does not exist", "cf1-999999999"},
      {"an id owned by the firm", "firm-000000001"},
      {"an id owned by a street", "ss1-000000001"},
      {"a bare dash", "-"},
  };
  for (const auto& [what, id] : ids) {
    auto cancel = alice.cancelOrderRequest();
    cancel.setOrderId(capnp::Text::Reader(id.data(), id.size()));
    auto cancelled = gateway.wait(cancel.send());
    ASSERT_TRUE(cancelled.getResult().isError()) << "cancel of " << what << " was accepted";
    expectRefused(cancelled.getResult().getError(), idl::ErrorCode::NOT_FOUND, "cancel " + what);

    auto status = alice.orderStatusRequest();
    status.setOrderId(capnp::Text::Reader(id.data(), id.size()));
    auto found = gateway.wait(status.send());
    ASSERT_TRUE(found.getResult().isError()) << "status of " << what << " was answered";
    expectRefused(found.getResult().getError(), idl::ErrorCode::NOT_FOUND, "status " + what);
    expectUsable(gateway, alice, what);
  }

  // ---- listOrders, balance, positions: no hostile parameter; they see Alice's only ----
  auto listed = gateway.wait([&] {
    auto request = alice.listOrdersRequest();
    request.setOpenOnly(false);
    return request.send();
  }());
  ASSERT_EQ(listed.getOrders().size(), 1u);
  EXPECT_EQ(std::string(listed.getOrders()[0].getOrder().getId().cStr()), alicesOrder);
  auto positions = gateway.wait(alice.positionsRequest().send());
  EXPECT_EQ(positions.getPositions().size(), 0u);

  // ---- watch with a listener that is already broken; logout ----
  {
    auto request = alice.watchRequest();
    request.setListener(capnp::Capability::Client(KJ_EXCEPTION(DISCONNECTED, "hostile listener"))
                            .castAs<idl::OrderListener>());
    auto watched = gateway.wait(request.send());
    (void)watched;
    expectUsable(gateway, alice, "a broken listener");
  }

  // Nothing was written by any of it.
  EXPECT_EQ(commitOf(*admin_["cf1"], "cf1"), before);

  // Still usable for a real order afterwards.
  EXPECT_NE(place(alice, "alice-2"), "");
  EXPECT_GT(commitOf(*admin_["cf1"], "cf1"), before);
  gateway.wait(alice.logoutRequest().send());
}

TEST_F(HostileInputTest, AdminRefusesHostileWritesAndWritesNothing) {
  AdminConnection& admin = firm();
  const uint64_t before = commitOf(admin, "firm");
  const int64_t startedAtNanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  const size_t accountsBefore = admin.call(admin->accountsRequest()).getAccounts().size();
  const size_t routesBefore = admin.call(admin->routesRequest()).getRoutes().size();

  auto refused =
      [&](idl::AdminResult::Reader result, idl::ErrorCode code, const std::string& what) {
        ASSERT_TRUE(result.isError())
            << what << " was accepted: " << std::string(result.getOk().cStr()).substr(0, 200);
        expectRefused(result.getError(), code, what);
      };
  using Code = idl::ErrorCode;
  const Code invalid = Code::INVALID_ARGUMENT;

  // ---- halt and resume ----
  for (const auto& [what, symbol, reason] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"empty symbol", "", "news"},
           {"megabyte symbol", kMegabyte, "news"},
           {"symbol with a space", "AC ME", "news"},
           {"empty reason", "ACME", ""},
           {"megabyte reason", "ACME", kMegabyte},
           {"reason of zeros", "ACME", kMegabyteOfZeros},
       }) {
    auto halt = admin->haltRequest();
    halt.setSymbol(symbol);
    halt.setReason(capnp::Text::Reader(reason.data(), reason.size()));
    refused(admin.call(kj::mv(halt)).getResult(), invalid, "halt: " + what);
  }
  for (const auto& [what, symbol] : std::vector<std::pair<std::string, std::string>>{
           {"empty symbol", ""}, {"megabyte symbol", kMegabyte}, {"zeros", kMegabyteOfZeros}}) {
    auto resume = admin->resumeRequest();
    resume.setSymbol(capnp::Text::Reader(symbol.data(), symbol.size()));
    refused(admin.call(kj::mv(resume)).getResult(), invalid, "resume: " + what);
  }

  // ---- createAccount ----
  struct Account {
    std::string what;
    std::function<void(idl::AccountRequest::Builder)> edit;
    Code code = Code::INVALID_ARGUMENT;
  };
  for (const Account& hostile : std::vector<Account>{
           {"empty id", [](auto r) { r.setId(""); }},
           {"megabyte id", [](auto r) { r.setId(kMegabyte); }},
           {"id with a colon", [](auto r) { r.setId("firm:cash"); }},
           {"existing id", [](auto r) { r.setId("alice"); }, Code::DUPLICATE},
           {"empty name", [](auto r) { r.setName(""); }},
           {"megabyte name", [](auto r) { r.setName(kMegabyte); }},
           {"empty secret", [](auto r) { r.setSecret(""); }},
           {"megabyte secret", [](auto r) { r.setSecret(kMegabyte); }},
           {"empty currency", [](auto r) { r.setCurrency(""); }},
           {"lower-case currency", [](auto r) { r.setCurrency("usd"); }},
           {"megabyte currency", [](auto r) { r.setCurrency(kMegabyte); }},
           {"negative notional limit",
            [](auto r) { r.initLimits().setMaxOrderNotionalMicros(INT64_MIN); }},
           {"negative position limit", [](auto r) { r.initLimits().setMaxPosition(-1); }},
           {"megabyte allowed symbol",
            [](auto r) { r.initLimits().initAllowedSymbols(1).set(0, kMegabyte); }},
           {"empty allowed symbol",
            [](auto r) { r.initLimits().initAllowedSymbols(1).set(0, ""); }},
       }) {
    auto create = admin->createAccountRequest();
    auto request = create.initRequest();
    request.setId("carol");
    request.setName("Carol");
    request.setSecret("carol-secret");
    request.setCurrency("USD");
    hostile.edit(request);
    refused(admin.call(kj::mv(create)).getResult(), hostile.code, "createAccount: " + hostile.what);
  }

  // ---- deposit and withdraw ----
  struct Cash {
    std::string what, account, currency;
    int64_t amount;
    std::string reference;
    Code code = Code::INVALID_ARGUMENT;
  };
  const std::vector<Cash> cash = {
      {"zero amount", "alice", "USD", 0, ""},
      {"negative amount", "alice", "USD", -1, ""},
      {"INT64_MIN amount", "alice", "USD", INT64_MIN, ""},
      {"INT64_MAX amount", "alice", "USD", INT64_MAX, ""},
      {"empty account", "", "USD", kDollar, "", Code::NOT_FOUND},
      {"megabyte account", kMegabyte, "USD", kDollar, "", Code::NOT_FOUND},
      {"unknown account", "nobody", "USD", kDollar, "", Code::NOT_FOUND},
      {"firm book", "firm:cash", "USD", kDollar, "", Code::NOT_FOUND},
      {"empty currency", "alice", "", kDollar, ""},
      {"megabyte currency", "alice", kMegabyte, kDollar, ""},
      {"megabyte reference", "alice", "USD", kDollar, kMegabyte},
      {"reference with a space", "alice", "USD", kDollar, "a b"},
  };
  for (const Cash& hostile : cash) {
    auto deposit = admin->depositRequest();
    deposit.setAccount(hostile.account);
    deposit.setCurrency(hostile.currency);
    deposit.setAmountMicros(hostile.amount);
    deposit.setReference(hostile.reference);
    refused(admin.call(kj::mv(deposit)).getResult(), hostile.code, "deposit: " + hostile.what);

    auto withdraw = admin->withdrawRequest();
    withdraw.setAccount(hostile.account);
    withdraw.setCurrency(hostile.currency);
    withdraw.setAmountMicros(hostile.amount);
    withdraw.setReference(hostile.reference);
    auto answer = admin.call(kj::mv(withdraw));
    // INT64_MAX may be refused as too large or as more than the account has.
    Code expected = hostile.code;
    if (hostile.amount == INT64_MAX && answer.getResult().isError() &&
        answer.getResult().getError().getCode() == Code::INSUFFICIENT_BUYING_POWER) {
      expected = Code::INSUFFICIENT_BUYING_POWER;
    }
    refused(answer.getResult(), expected, "withdraw: " + hostile.what);
  }
  // More than the account has.
  {
    auto withdraw = admin->withdrawRequest();
    withdraw.setAccount("alice");
    withdraw.setCurrency("USD");
    withdraw.setAmountMicros(10'001 * kDollar);
    refused(admin.call(kj::mv(withdraw)).getResult(), Code::INSUFFICIENT_BUYING_POWER,
            "withdraw: more than the account has");
  }

  // ---- setLimits ----
  for (const Account& hostile : std::vector<Account>{
           {"empty account", [](auto) {}, Code::NOT_FOUND},
           {"negative notional", [](auto r) { r.initLimits().setMaxOrderNotionalMicros(-1); }},
           {"INT64_MIN position", [](auto r) { r.initLimits().setMaxPosition(INT64_MIN); }},
           {"megabyte allowed symbol",
            [](auto r) { r.initLimits().initAllowedSymbols(1).set(0, kMegabyte); }},
       }) {
    capnp::MallocMessageBuilder scratch;
    auto request = scratch.initRoot<idl::AccountRequest>();
    request.setId(hostile.code == Code::NOT_FOUND ? "" : "alice");
    hostile.edit(request);
    auto set = admin->setLimitsRequest();
    set.setAccount(request.getId());
    set.setLimits(request.getLimits());
    refused(admin.call(kj::mv(set)).getResult(), hostile.code, "setLimits: " + hostile.what);
  }
  for (const std::string& account : {kMegabyte, std::string("nobody")}) {
    auto set = admin->setLimitsRequest();
    set.setAccount(account);
    set.initLimits();
    refused(admin.call(kj::mv(set)).getResult(), Code::NOT_FOUND,
            "setLimits: account " + account.substr(0, 10));
  }

  // ---- setRoute ----
  struct Route {
    std::string what;
    std::function<void(idl::VenueRoute::Builder)> edit;
  };
  for (const Route& hostile : std::vector<Route>{
           {"empty symbol", [](auto r) { r.setSymbol(""); }},
           {"megabyte symbol", [](auto r) { r.setSymbol(kMegabyte); }},
           {"unknown street", [](auto r) { r.setStreet("ss9"); }},
           {"megabyte street", [](auto r) { r.setStreet(kMegabyte); }},
           {"a customer utility as street", [](auto r) { r.setStreet("cf1"); }},
           {"unknown venue", [](auto r) { r.setVenue("nowhere"); }},
           {"megabyte venue", [](auto r) { r.setVenue(kMegabyte); }},
           {"bad currency", [](auto r) { r.setCurrency("dollars"); }},
           {"megabyte currency", [](auto r) { r.setCurrency(kMegabyte); }},
           {"negative price", [](auto r) { r.setLastPriceMicros(-1); }},
           {"INT64_MIN price", [](auto r) { r.setLastPriceMicros(INT64_MIN); }},
           {"INT64_MAX price", [](auto r) { r.setLastPriceMicros(INT64_MAX); }},
       }) {
    auto set = admin->setRouteRequest();
    auto route = set.initRoute();
    route.setSymbol("ACME");
    route.setStreet("ss1");
    route.setVenue("xtst");
    route.setCurrency("USD");
    route.setLastPriceMicros(10 * kDollar);
    hostile.edit(route);
    refused(admin.call(kj::mv(set)).getResult(), invalid, "setRoute: " + hostile.what);
  }

  // ---- settle ----
  for (int32_t date : {-1, INT32_MIN, INT32_MAX, 20261399, 20260230, 1}) {
    auto settle = admin->settleRequest();
    settle.setThroughTradeDate(date);
    refused(admin.call(kj::mv(settle)).getResult(), invalid, "settle " + std::to_string(date));
  }

  // Nothing was written but each refusal's audit entry (issue 17: the
  // operator's refused writes are on the trail too), each of them short
  // whatever the caller sent; and the books still verify.
  auto audit = admin->auditRequest();
  audit.initFilter().setFromNanos(startedAtNanos);
  auto trail = admin.call(kj::mv(audit));
  EXPECT_GT(trail.getEntries().size(), 0u);
  for (idl::AdminAudit::Reader entry : trail.getEntries()) {
    EXPECT_FALSE(entry.getOk()) << entry.getCall().cStr() << " " << entry.getDetail().cStr();
    EXPECT_LE(entry.getArguments().size() + entry.getAccount().size() + entry.getSymbol().size() +
                  entry.getDetail().size(),
              8192u)
        << entry.getCall().cStr();
  }
  EXPECT_EQ(admin.call(admin->accountsRequest()).getAccounts().size(), accountsBefore);
  EXPECT_EQ(admin.call(admin->routesRequest()).getRoutes().size(), routesBefore);
  auto verified = admin.call(admin->verifyRequest());
  EXPECT_TRUE(verified.getReport().getClean());
  for (auto finding : verified.getReport().getFindings()) ADD_FAILURE() << finding.cStr();

  // Still usable: a normal write succeeds.
  auto deposit = admin->depositRequest();
  deposit.setAccount("alice");
  deposit.setCurrency("USD");
  deposit.setAmountMicros(kDollar);
  testing::expectOk(admin.call(kj::mv(deposit)).getResult());
  EXPECT_GT(commitOf(admin, "firm"), before);
}

}  // namespace
}  // namespace triad
