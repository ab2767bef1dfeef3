// The order desk over real replicated storage: four sites (cf1, cf2, ss1,
// firm) in this process, each owning its group and replicating the others.
// The firm's and the street's records are written directly here, standing
// in for those utilities.

#include "utilities/customer/order_desk.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"
#include "utilities/common/id_allocator.h"
#include "utilities/common/tables.h"

namespace triad::customer {
namespace {

using namespace std::chrono_literals;
using idl::ErrorCode;
using idl::OrderState;

class OrderDeskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto parsed = topology::Topology::parse(
        testing::makeTestTopology({.customers = {"cf1", "cf2"}, .streets = {"ss1"}}), "test");
    ASSERT_TRUE(std::holds_alternative<topology::Topology>(parsed));
    topology_ = new topology::Topology(std::get<topology::Topology>(std::move(parsed)));
    testing::makeSiteCertificates(dir_->path() / "replication-tls", *topology_);
    for (const char* site : {"cf1", "cf2", "ss1", "firm"}) {
      common::SiteStorageOptions options;
      options.dataRoot = dir_->path() / site;
      options.tls = dir_->path() / "replication-tls";
      options.checkpointInterval = 0ms;
      std::unique_ptr<common::SiteStorage> storage;
      bdb::Status s = common::SiteStorage::open(*topology_, site, options, &storage);
      ASSERT_TRUE(s.isOk()) << s.toString();
      sites_[site] = storage.release();
    }
    for (auto& [id, storage] : sites_) {
      ASSERT_TRUE(storage->owned().waitForReplicas(1, 60s)) << id;
    }
    // The firm routes every symbol to ss1 and halts MEME.
    ASSERT_TRUE(firm()
                    .write([](bdb::WriteTxn& txn) {
                      capnp::MallocMessageBuilder route;
                      auto r = route.initRoot<idl::VenueRoute>();
                      r.setSymbol("*");
                      r.setStreet("ss1");
                      r.setVenue("xtst");
                      r.setCurrency("USD");
                      r.setLastPriceMicros(10'000'000);
                      bdb::Status s = tables::kVenueRoutes.put(txn, bdb::Key::of("*"), route);
                      if (!s.isOk()) return s;
                      capnp::MallocMessageBuilder halt;
                      auto h = halt.initRoot<idl::Halt>();
                      h.setSymbol("MEME");
                      h.setHalted(true);
                      h.setReason("news pending");
                      return tables::kHalts.put(txn, bdb::Key::of("MEME"), halt);
                    })
                    .isOk());
    for (const char* site : {"cf1", "cf2"}) {
      ASSERT_TRUE(
          sites_[site]->group("firm")->waitForCommit(firm().commitPosition().sequence, 30s));
    }
  }

  static void TearDownTestSuite() {
    std::vector<std::thread> closers;
    for (auto& [id, storage] : sites_) closers.emplace_back([s = storage] { delete s; });
    for (std::thread& closer : closers) closer.join();
    sites_.clear();
    delete topology_;
    delete dir_;
  }

  static bdb::OwnershipGroup& firm() { return sites_["firm"]->owned(); }
  static bdb::OwnershipGroup& street() { return sites_["ss1"]->owned(); }

  OrderDesk desk(const char* site) {
    return OrderDesk(*topology_, *sites_[site], [] { return int64_t{1'700'000'000'000'000'000}; });
  }

  static capnp::MallocMessageBuilder& request(capnp::MallocMessageBuilder& message,
                                              const std::string& clientId,
                                              const std::string& symbol = "ACME",
                                              int64_t quantity = 100,
                                              int64_t priceMicros = 10'250'000) {
    auto r = message.initRoot<idl::OrderRequest>();
    r.setClientOrderId(clientId);
    r.setSymbol(symbol);
    r.setSide(idl::Side::BUY);
    r.setType(idl::OrderType::LIMIT);
    r.setTimeInForce(idl::TimeInForce::DAY);
    r.setQuantity(quantity);
    r.setLimitPriceMicros(priceMicros);
    return message;
  }

  static idl::OrderRequest::Reader read(capnp::MallocMessageBuilder& message) {
    return message.getRoot<idl::OrderRequest>().asReader();
  }

  // Polls until `site`'s desk reports `state` for the order (replication is
  // asynchronous to readers).
  OrderView eventually(const char* site, const std::string& orderId, OrderState state) {
    OrderDesk reader = desk(site);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      Outcome<OrderView> view = reader.status("acct-1", orderId);
      if (auto* found = std::get_if<OrderView>(&view);
          (found != nullptr && found->status.state == state) ||
          std::chrono::steady_clock::now() > deadline) {
        EXPECT_TRUE(found != nullptr) << std::get<OrderError>(view).reason;
        if (found == nullptr) return {};
        EXPECT_EQ(stateName(found->status.state), stateName(state)) << site;
        return std::move(*found);
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  static void streetWrites(const std::function<bdb::Status(bdb::WriteTxn&)>& fn) {
    ASSERT_TRUE(street().write(fn).isOk());
  }

  static testing::TempDir* dir_;
  static topology::Topology* topology_;
  static std::map<std::string, common::SiteStorage*> sites_;
};

testing::TempDir* OrderDeskTest::dir_ = nullptr;
topology::Topology* OrderDeskTest::topology_ = nullptr;
std::map<std::string, common::SiteStorage*> OrderDeskTest::sites_;

std::string placed(const Outcome<OrderView>& outcome) {
  if (auto* refused = std::get_if<OrderError>(&outcome)) return "refused: " + refused->reason;
  return std::get<OrderView>(outcome).order->getId();
}

TEST_F(OrderDeskTest, OrderPlacedAtOneUtilityHasTheSameStatusAtAnother) {
  capnp::MallocMessageBuilder message;
  Outcome<OrderView> outcome = desk("cf1").place("acct-1", "s1", read(request(message, "a-1")));
  const std::string id = placed(outcome);
  ASSERT_EQ(id.rfind("cf1-", 0), 0u) << id;
  const OrderView& order = std::get<OrderView>(outcome);
  EXPECT_EQ(order.status.state, OrderState::PENDING_NEW);
  EXPECT_EQ(std::string(order.order->getStreet().cStr()), "ss1");
  EXPECT_EQ(std::string(order.order->getCurrency().cStr()), "USD");

  OrderView atCf2 = eventually("cf2", id, OrderState::PENDING_NEW);
  EXPECT_EQ(atCf2.order->getQuantity(), 100);

  // The street utility routes it and a partial fill comes back.
  streetWrites([&](bdb::WriteTxn& txn) {
    capnp::MallocMessageBuilder route;
    route.initRoot<idl::Route>().setOrderId(id);
    bdb::Status s = tables::kRoutes.put(txn, bdb::Key::of(id), route);
    if (!s.isOk()) return s;
    capnp::MallocMessageBuilder execution;
    auto e = execution.initRoot<idl::Execution>();
    e.setId("ss1-000000001");
    e.setOrderId(id);
    e.setVenue("xtst");
    e.setVenueSession("20231114");
    e.setVenueExecId("E-1");
    e.setQuantity(40);
    e.setPriceMicros(10'200'000);
    return tables::kExecutions.put(txn, tables::executionKey(e.asReader()), execution);
  });
  for (const char* site : {"cf1", "cf2"}) {
    OrderView view = eventually(site, id, OrderState::PARTIALLY_FILLED);
    EXPECT_EQ(view.status.filledQuantity, 40);
    EXPECT_EQ(view.status.averagePriceMicros, 10'200'000);
  }

  // Cancel from the other utility: pending until the street confirms.
  Outcome<std::string> cancel = desk("cf2").cancel("acct-1", id);
  ASSERT_TRUE(std::holds_alternative<std::string>(cancel)) << std::get<OrderError>(cancel).reason;
  EXPECT_EQ(std::get<std::string>(cancel).rfind("cf2-", 0), 0u);
  eventually("cf1", id, OrderState::PENDING_CANCEL);
  streetWrites([&](bdb::WriteTxn& txn) {
    capnp::MallocMessageBuilder closure;
    auto c = closure.initRoot<idl::Closure>();
    c.setId("ss1-000000002");
    c.setOrderId(id);
    c.setReason(idl::Closure::Reason::CANCELLED);
    c.setLeavesQuantity(60);
    return tables::kClosures.put(txn, tables::reportKey(id, "xtst", "20231114", "E-2"), closure);
  });
  for (const char* site : {"cf1", "cf2"}) {
    EXPECT_EQ(eventually(site, id, OrderState::CANCELLED).status.filledQuantity, 40);
  }
  Outcome<std::string> again = desk("cf1").cancel("acct-1", id);
  ASSERT_TRUE(std::holds_alternative<OrderError>(again));
  EXPECT_EQ(std::get<OrderError>(again).code, ErrorCode::TOO_LATE);
  EXPECT_EQ(std::get<OrderError>(again).reason, "order " + id + " is already cancelled");
}

TEST_F(OrderDeskTest, RetriedClientOrderIdReturnsTheOriginalAtAnyUtility) {
  capnp::MallocMessageBuilder first, retry, elsewhere;
  const std::string id = placed(desk("cf1").place("acct-1", "s1", read(request(first, "r-1"))));
  ASSERT_EQ(id.rfind("cf1-", 0), 0u) << id;
  // A retry is the same order, never a second one; with other terms it is refused.
  EXPECT_EQ(placed(desk("cf1").place("acct-1", "s2", read(request(retry, "r-1")))), id);
  capnp::MallocMessageBuilder changed;
  Outcome<OrderView> refused =
      desk("cf1").place("acct-1", "s2", read(request(changed, "r-1", "ACME", 5)));
  ASSERT_TRUE(std::holds_alternative<OrderError>(refused));
  EXPECT_EQ(std::get<OrderError>(refused).code, ErrorCode::DUPLICATE);
  EXPECT_EQ(std::get<OrderError>(refused).reason,
            "client order id r-1 was already used for order " + id + " with other terms");
  eventually("cf2", id, OrderState::PENDING_NEW);
  EXPECT_EQ(placed(desk("cf2").place("acct-1", "s3", read(request(elsewhere, "r-1")))), id);
  // The client order id index holds a reference to the order, not a copy.
  bdb::Record<idl::OrderRef> ref;
  ASSERT_TRUE(tables::kClientOrders
                  .get(*sites_["cf2"]->group("cf1"), bdb::Key().add("acct-1").add("r-1"), &ref)
                  .isOk());
  EXPECT_EQ(std::string(ref->getOrderId().cStr()), id);
  // The same client id belongs to each account separately.
  capnp::MallocMessageBuilder other;
  const std::string otherId =
      placed(desk("cf1").place("acct-2", "s4", read(request(other, "r-1"))));
  EXPECT_NE(otherId, id);
  EXPECT_EQ(otherId.rfind("cf1-", 0), 0u) << otherId;
}

TEST_F(OrderDeskTest, NoAccountSeesOrTouchesAnothersOrders) {
  capnp::MallocMessageBuilder message;
  const std::string id = placed(desk("cf1").place("acct-1", "s1", read(request(message, "p-1"))));
  ASSERT_EQ(id.rfind("cf1-", 0), 0u) << id;
  Outcome<OrderView> peek = desk("cf1").status("acct-2", id);
  ASSERT_TRUE(std::holds_alternative<OrderError>(peek));
  EXPECT_EQ(std::get<OrderError>(peek).code, ErrorCode::NOT_FOUND);
  Outcome<std::string> cancel = desk("cf1").cancel("acct-2", id);
  ASSERT_TRUE(std::holds_alternative<OrderError>(cancel));
  EXPECT_EQ(std::get<OrderError>(cancel).code, ErrorCode::NOT_FOUND);
  Outcome<std::vector<OrderView>> theirs = desk("cf1").list("acct-3", false);
  ASSERT_TRUE(std::holds_alternative<std::vector<OrderView>>(theirs));
  EXPECT_TRUE(std::get<std::vector<OrderView>>(theirs).empty());
  for (const char* bogus : {"cf1-999999999", "firm-000000001", "nonsense", ""}) {
    Outcome<OrderView> missing = desk("cf1").status("acct-1", bogus);
    ASSERT_TRUE(std::holds_alternative<OrderError>(missing)) << bogus;
    EXPECT_EQ(std::get<OrderError>(missing).code, ErrorCode::NOT_FOUND) << bogus;
  }
}

TEST_F(OrderDeskTest, BadOrdersAreRefusedWithAReasonAndNothingIsWritten) {
  const uint64_t before = sites_["cf1"]->owned().commitPosition().sequence;
  struct Case {
    std::function<void(idl::OrderRequest::Builder)> spoil;
    ErrorCode code;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {[](auto r) { r.setQuantity(0); }, ErrorCode::INVALID_ARGUMENT,
       "quantity must be between 1 and 1,000,000,000 shares, not 0"},
      {[](auto r) { r.setQuantity(-5); }, ErrorCode::INVALID_ARGUMENT,
       "quantity must be between 1 and 1,000,000,000 shares, not -5"},
      {[](auto r) { r.setQuantity(INT64_MAX); }, ErrorCode::INVALID_ARGUMENT,
       "quantity must be between 1 and 1,000,000,000 shares, not 9223372036854775807"},
      {[](auto r) { r.setLimitPriceMicros(-1); }, ErrorCode::INVALID_ARGUMENT,
       "a limit order needs a limit price above zero and at most 1,000,000,000.00"},
      {[](auto r) { r.setSide(static_cast<idl::Side>(7)); }, ErrorCode::INVALID_ARGUMENT,
       "side must be buy or sell"},
      {[](auto r) { r.setTimeInForce(static_cast<idl::TimeInForce>(9)); },
       ErrorCode::INVALID_ARGUMENT, "time in force must be day, ioc or gtc"},
      {[](auto r) { r.setSymbol("acme"); }, ErrorCode::INVALID_ARGUMENT,
       "symbol must be 1 to 16 characters of A-Z, 0-9, '.', '-' or '/'"},
      {[](auto r) { r.setSymbol(std::string(1 << 20, 'A')); }, ErrorCode::INVALID_ARGUMENT,
       "symbol must be 1 to 16 characters of A-Z, 0-9, '.', '-' or '/'"},
      {[](auto r) { r.setClientOrderId(""); }, ErrorCode::INVALID_ARGUMENT,
       "client order id must be 1 to 64 printable characters without spaces"},
      {[](auto r) { r.setType(idl::OrderType::MARKET); }, ErrorCode::INVALID_ARGUMENT,
       "a market order takes no limit price"},
      {[](auto r) {
         r.setType(idl::OrderType::MARKET);
         r.setLimitPriceMicros(0);
         r.setTimeInForce(idl::TimeInForce::GTC);
       },
       ErrorCode::INVALID_ARGUMENT, "a market order cannot rest: use time in force day or ioc"},
      {[](auto r) { r.setSymbol("MEME"); }, ErrorCode::HALTED,
       "trading in MEME is halted: news pending"},
  };
  for (const Case& c : cases) {
    capnp::MallocMessageBuilder message;
    request(message, "bad-1");
    c.spoil(message.getRoot<idl::OrderRequest>());
    Outcome<OrderView> outcome = desk("cf1").place("acct-1", "s1", read(message));
    ASSERT_TRUE(std::holds_alternative<OrderError>(outcome)) << c.reason;
    EXPECT_EQ(std::get<OrderError>(outcome).code, c.code) << c.reason;
    EXPECT_EQ(std::get<OrderError>(outcome).reason, c.reason);
  }
  EXPECT_EQ(sites_["cf1"]->owned().commitPosition().sequence, before);
}

TEST_F(OrderDeskTest, ListShowsTheAccountsOrdersFromEveryUtility) {
  capnp::MallocMessageBuilder a, b;
  const std::string one = placed(desk("cf1").place("acct-9", "s1", read(request(a, "l-1"))));
  const std::string two = placed(desk("cf2").place("acct-9", "s2", read(request(b, "l-2"))));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<std::string> ids;
  while (ids.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    Outcome<std::vector<OrderView>> listed = desk("cf1").list("acct-9", true);
    ASSERT_TRUE(std::holds_alternative<std::vector<OrderView>>(listed));
    ids.clear();
    for (const OrderView& view : std::get<std::vector<OrderView>>(listed)) {
      ids.emplace_back(view.order->getId());
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{one, two}));
}

// The open-order list at the placing utility comes from the desk's index:
// an order placed after the index was loaded is in it, and an order closed
// by the street leaves it.
TEST_F(OrderDeskTest, OpenListKeepsUpWithPlacedAndClosedOrders) {
  OrderDesk cf1 = desk("cf1");
  auto openIds = [&] {
    std::vector<std::string> ids;
    Outcome<std::vector<OrderView>> listed = cf1.list("acct-11", true);
    EXPECT_TRUE(std::holds_alternative<std::vector<OrderView>>(listed));
    if (auto* views = std::get_if<std::vector<OrderView>>(&listed)) {
      for (const OrderView& view : *views) ids.emplace_back(view.order->getId());
    }
    return ids;
  };
  capnp::MallocMessageBuilder a, b;
  const std::string one = placed(cf1.place("acct-11", "s1", read(request(a, "o-1"))));
  EXPECT_EQ(openIds(), std::vector<std::string>{one});  // loads the index
  const std::string two = placed(cf1.place("acct-11", "s1", read(request(b, "o-2"))));
  EXPECT_EQ(openIds(), (std::vector<std::string>{one, two}));

  streetWrites([&](bdb::WriteTxn& txn) {
    capnp::MallocMessageBuilder closure;
    auto c = closure.initRoot<idl::Closure>();
    c.setId("ss1-000000011");
    c.setOrderId(one);
    c.setReason(idl::Closure::Reason::CANCELLED);
    c.setLeavesQuantity(100);
    return tables::kClosures.put(txn, tables::reportKey(one, "xtst", "20231114", "E-11"), closure);
  });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (openIds().size() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(openIds(), std::vector<std::string>{two});
  Outcome<std::vector<OrderView>> all = cf1.list("acct-11", false);
  ASSERT_TRUE(std::holds_alternative<std::vector<OrderView>>(all));
  EXPECT_EQ(std::get<std::vector<OrderView>>(all).size(), 2u);
}

TEST_F(OrderDeskTest, ReleaseMarksEveryDecidedOrderAndWritesNothingWhenNoneIs) {
  OrderDesk cf2 = desk("cf2");
  capnp::MallocMessageBuilder message;
  const std::string id = placed(cf2.place("acct-1", "s1", read(request(message, "release-1"))));
  const std::optional<uint64_t> sequence = common::sequenceOf(id);
  ASSERT_TRUE(sequence.has_value()) << id;

  ASSERT_TRUE(cf2.release().isOk());
  uint64_t mark = 0;
  ASSERT_TRUE(common::releasedThrough(sites_["cf2"]->owned(), &mark).isOk());
  EXPECT_GE(mark, *sequence);
  EXPECT_EQ(mark, sites_["cf2"]->owned().lastSequence());  // nothing was being placed

  // Nothing decided since: nothing is written.
  const uint64_t before = sites_["cf2"]->owned().commitPosition().sequence;
  ASSERT_TRUE(cf2.release().isOk());
  EXPECT_EQ(sites_["cf2"]->owned().commitPosition().sequence, before);

  // The mark replicates: every other site reads it.
  ASSERT_TRUE(sites_["ss1"]->group("cf2")->waitForCommit(before, 30s));
  uint64_t atStreet = 0;
  ASSERT_TRUE(common::releasedThrough(*sites_["ss1"]->group("cf2"), &atStreet).isOk());
  EXPECT_EQ(atStreet, mark);
}

TEST(IdSequence, IsTheNumberAfterTheOwner) {
  EXPECT_EQ(common::sequenceOf("cf2-000000123"), 123u);
  EXPECT_EQ(common::sequenceOf("a-b-7"), 7u);
  EXPECT_FALSE(common::sequenceOf("cf2-").has_value());
  EXPECT_FALSE(common::sequenceOf("cf2-12x").has_value());
  EXPECT_FALSE(common::sequenceOf("-12").has_value());
  EXPECT_FALSE(common::sequenceOf("cf2-99999999999999999999999").has_value());
}

}  // namespace
}  // namespace triad::customer
