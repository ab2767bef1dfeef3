// The street recorder over real replicated storage: five sites (cf1, cf2,
// ss1, ss2, firm) in this process, each owning its group and replicating the
// others. Orders are placed with the customer utility's OrderDesk; the
// firm's routing table sends ACME and every other symbol to ss1 and BOLT to
// ss2. ss2 is opened only when a test first needs it, so it starts "late":
// after orders routed to it were placed.

#include "utilities/street/street_recorder.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"
#include "utilities/common/id_allocator.h"
#include "utilities/common/tables.h"
#include "utilities/customer/order_desk.h"

namespace triad::street {
namespace {

using namespace std::chrono_literals;
using idl::OrderState;

constexpr int64_t kNow = 1'700'000'000'000'000'000;

template <typename T>
T must(Outcome<T> outcome) {
  if (auto* error = std::get_if<RecordError>(&outcome)) {
    ADD_FAILURE() << error->toString();
    return T{};
  }
  return std::get<T>(std::move(outcome));
}

template <typename T>
RecordError refusal(Outcome<T> outcome) {
  if (auto* error = std::get_if<RecordError>(&outcome)) return std::move(*error);
  ADD_FAILURE() << "expected a refusal";
  return {};
}

template <typename T>
std::vector<std::string> ids(const std::vector<bdb::Record<T>>& records) {
  std::vector<std::string> out;
  for (const bdb::Record<T>& record : records) out.emplace_back(record->getId());
  return out;
}

bool has(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The firm's routing table: ACME and the default to ss1, BOLT to ss2.
bdb::Status writeRoutes(bdb::WriteTxn& txn) {
  for (auto [symbol, street] : {std::pair{"ACME", "ss1"}, {"BOLT", "ss2"}, {"*", "ss1"}}) {
    capnp::MallocMessageBuilder message;
    auto route = message.initRoot<idl::VenueRoute>();
    route.setSymbol(symbol);
    route.setStreet(street);
    route.setVenue("xtst");
    route.setCurrency("USD");
    route.setLastPriceMicros(10'000'000);
    if (bdb::Status s = tables::kVenueRoutes.put(txn, bdb::Key::of(symbol), message); !s.isOk()) {
      return s;
    }
  }
  return bdb::Status::ok();
}

class StreetRecorderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto parsed = topology::Topology::parse(
        testing::makeTestTopology({.customers = {"cf1", "cf2"}, .streets = {"ss1", "ss2"}}),
        "test");
    ASSERT_TRUE(std::holds_alternative<topology::Topology>(parsed));
    topology_ = new topology::Topology(std::get<topology::Topology>(std::move(parsed)));
    for (const char* id : {"cf1", "cf2", "ss1", "firm"}) ASSERT_NO_FATAL_FAILURE(open(id));
    // An owner is ready once a replica acknowledges: all are open by now.
    for (auto& [id, storage] : sites_) {
      ASSERT_TRUE(storage->owned().waitForReplicas(1, 60s)) << id;
    }

    // Right after start-up the replicas' joins can win a lock conflict
    // against the owner's write (Conflict: nothing written, retry).
    bdb::Status routed;
    for (int attempt = 0; attempt < 5; ++attempt) {
      routed = site("firm").owned().write(writeRoutes);
      if (routed.code() != bdb::Status::Code::kConflict) break;
    }
    ASSERT_TRUE(routed.isOk()) << routed.toString();
    for (const char* id : {"cf1", "cf2"}) ASSERT_NO_FATAL_FAILURE(catchUp(id, "firm"));
  }

  static void TearDownTestSuite() {
    std::vector<std::thread> closers;
    for (auto& [id, storage] : sites_) closers.emplace_back([s = storage] { delete s; });
    for (std::thread& closer : closers) closer.join();
    sites_.clear();
    delete topology_;
    delete dir_;
  }

  static void open(const std::string& id) {
    common::SiteStorageOptions options;
    options.dataRoot = dir_->path() / id;
    options.tls = dir_->path() / "replication-tls";
    testing::makeSiteCertificates(options.tls, *topology_);
    options.checkpointInterval = 0ms;
    std::unique_ptr<common::SiteStorage> storage;
    bdb::Status s;
    // An owner that opens while its replicas are already up (ss2, late) can
    // lose a lock conflict to their joins while it creates its tables: the
    // open fails with Conflict and is retried.
    for (int attempt = 0; attempt < 5; ++attempt) {
      s = common::SiteStorage::open(*topology_, id, options, &storage);
      if (s.code() != bdb::Status::Code::kConflict) break;
    }
    ASSERT_TRUE(s.isOk()) << s.toString();
    sites_[id] = storage.release();
  }

  // The site, opened on first use (ss2 starts late).
  static common::SiteStorage& site(const std::string& id) {
    if (!sites_.contains(id)) {
      open(id);
      EXPECT_TRUE(sites_.at(id)->owned().waitForReplicas(1, 60s)) << id;
    }
    return *sites_.at(id);
  }

  // Waits until `reader`'s replica of group `owner` has everything the owner
  // has committed so far.
  static void catchUp(const std::string& reader, const std::string& owner) {
    const uint64_t sequence = site(owner).owned().commitPosition().sequence;
    ASSERT_TRUE(site(reader).group(owner)->waitForCommit(sequence, 30s))
        << reader << " did not catch up with " << owner;
  }

  static customer::OrderDesk desk(const std::string& id) {
    return customer::OrderDesk(*topology_, site(id), [] { return kNow; });
  }

  static StreetRecorder recorder(const std::string& id) {
    return StreetRecorder(*topology_, site(id), [] { return kNow; });
  }

  // A recorder as a restarted street utility has: it remembers nothing.
  static std::unique_ptr<StreetRecorder> restarted(const std::string& id) {
    return std::make_unique<StreetRecorder>(*topology_, site(id), [] { return kNow; });
  }

  // Places a limit buy for acct-1 at customer utility `at`; returns its id.
  static std::string place(const std::string& at, const std::string& clientId,
                           const std::string& symbol = "ACME", int64_t quantity = 100) {
    capnp::MallocMessageBuilder message;
    auto request = message.initRoot<idl::OrderRequest>();
    request.setClientOrderId(clientId);
    request.setSymbol(symbol);
    request.setSide(idl::Side::BUY);
    request.setType(idl::OrderType::LIMIT);
    request.setTimeInForce(idl::TimeInForce::DAY);
    request.setQuantity(quantity);
    request.setLimitPriceMicros(10'250'000);
    // UNAVAILABLE is a lost lock conflict: retrying a client order id is safe.
    customer::Outcome<customer::OrderView> placed =
        desk(at).place("acct-1", "s1", request.asReader());
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto* refused = std::get_if<customer::OrderError>(&placed);
      if (refused == nullptr || refused->code != idl::ErrorCode::UNAVAILABLE) break;
      placed = desk(at).place("acct-1", "s1", request.asReader());
    }
    if (auto* refused = std::get_if<customer::OrderError>(&placed)) {
      ADD_FAILURE() << "order refused: " << refused->reason;
      return {};
    }
    return std::get<customer::OrderView>(placed).order->getId();
  }

  // The order as the street utility `at` reads it, once replicated.
  static bdb::Record<idl::Order> orderAt(const std::string& at, const std::string& id) {
    EXPECT_NO_FATAL_FAILURE(catchUp(at, std::string(common::ownerOf(id))));
    return must(recorder(at).findOrder(id));
  }

  // Polls until customer utility `at` derives `state` for the order.
  // `filled` >= 0: and that quantity filled (a state can be reached before
  // the last fill has replicated).
  static customer::DerivedStatus eventually(const std::string& at, const std::string& id,
                                            OrderState state, int64_t filled = -1) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto view = desk(at).status("acct-1", id);
      auto* found = std::get_if<customer::OrderView>(&view);
      if ((found != nullptr && found->status.state == state &&
           (filled < 0 || found->status.filledQuantity == filled)) ||
          std::chrono::steady_clock::now() > deadline) {
        if (found == nullptr) {
          ADD_FAILURE() << std::get<customer::OrderError>(view).reason;
          return {};
        }
        EXPECT_EQ(customer::stateName(found->status.state), customer::stateName(state)) << at;
        return found->status;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  static uint64_t streetPosition(const std::string& street) {
    return site(street).owned().commitPosition().sequence;
  }

  static std::vector<std::string> executionIds(const std::string& street,
                                               const std::string& orderId) {
    std::vector<std::string> found;
    const bdb::Key prefix = bdb::Key::of(orderId);
    EXPECT_TRUE(tables::kExecutions
                    .scan(site(street).owned(), prefix.view(),
                          [&](std::string_view key, idl::Execution::Reader execution) {
                            if (key.substr(0, prefix.view().size()) != prefix.view()) return false;
                            found.emplace_back(execution.getId());
                            return true;
                          })
                    .isOk());
    return found;
  }

  static testing::TempDir* dir_;
  static topology::Topology* topology_;
  static std::map<std::string, common::SiteStorage*> sites_;
};

testing::TempDir* StreetRecorderTest::dir_ = nullptr;
topology::Topology* StreetRecorderTest::topology_ = nullptr;
std::map<std::string, common::SiteStorage*> StreetRecorderTest::sites_;

TEST_F(StreetRecorderTest, RouteIsRecordedOnceEver) {
  const std::string id = place("cf1", "route-1");
  bdb::Record<idl::Order> order = orderAt("ss1", id);
  StreetRecorder ss1 = recorder("ss1");

  Recorded<idl::Route> first = must(ss1.recordRoute(order.reader(), "F-" + id));
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(std::string(first.record->getOrderId().cStr()), id);
  EXPECT_EQ(std::string(first.record->getStreet().cStr()), "ss1");
  EXPECT_EQ(std::string(first.record->getVenue().cStr()), "xtst");
  EXPECT_EQ(first.record->getRoutedAtNanos(), kNow);

  // A repeat, even from a restarted recorder with another ClOrdID, is the
  // first route, and writes nothing.
  const uint64_t before = streetPosition("ss1");
  std::unique_ptr<StreetRecorder> later = restarted("ss1");
  for (StreetRecorder* again : {&ss1, later.get()}) {
    Recorded<idl::Route> repeat = must(again->recordRoute(order.reader(), "other"));
    EXPECT_TRUE(repeat.duplicate);
    EXPECT_EQ(std::string(repeat.record->getFixClOrdId().cStr()), "F-" + id);
  }
  EXPECT_EQ(streetPosition("ss1"), before);
  eventually("cf2", id, OrderState::NEW);

  // An order routed to ss2 is not ss1's to record.
  const std::string elsewhere = place("cf1", "route-2", "BOLT");
  bdb::Record<idl::Order> other = orderAt("ss1", elsewhere);
  RecordError wrong = refusal(ss1.recordRoute(other.reader(), "F-" + elsewhere));
  EXPECT_EQ(wrong.code, RecordErrorCode::kWrongStreet);
  EXPECT_EQ(wrong.reason, "order " + elsewhere + " is routed to 'ss2', not to ss1");
  EXPECT_EQ(streetPosition("ss1"), before);
}

TEST_F(StreetRecorderTest, ResentExecutionReportsRecordNothingTwice) {
  const std::string id = place("cf1", "dup-1");
  bdb::Record<idl::Order> order = orderAt("ss1", id);
  StreetRecorder ss1 = recorder("ss1");
  ASSERT_FALSE(must(ss1.recordRoute(order.reader(), id)).duplicate);

  const FillReport first{
      .venueExecId = "E-1", .venueSession = "20231114", .quantity = 40, .priceMicros = 10'200'000};
  Recorded<idl::Execution> fill = must(ss1.recordFill(order.reader(), first));
  ASSERT_FALSE(fill.duplicate);
  const std::string executionId = fill.record->getId();
  EXPECT_EQ(executionId.rfind("ss1-", 0), 0u) << executionId;
  // Everything the firm needs to book it, from the street record alone.
  EXPECT_EQ(std::string(fill.record->getOrderId().cStr()), id);
  EXPECT_EQ(std::string(fill.record->getAccount().cStr()), "acct-1");
  EXPECT_EQ(std::string(fill.record->getSymbol().cStr()), "ACME");
  EXPECT_EQ(fill.record->getSide(), idl::Side::BUY);
  EXPECT_EQ(std::string(fill.record->getCurrency().cStr()), "USD");
  EXPECT_EQ(std::string(fill.record->getVenue().cStr()), "xtst");
  EXPECT_EQ(std::string(fill.record->getVenueSession().cStr()), "20231114");
  EXPECT_EQ(std::string(fill.record->getVenueExecId().cStr()), "E-1");
  EXPECT_EQ(fill.record->getQuantity(), 40);
  EXPECT_EQ(fill.record->getCumulativeQuantity(), 40);
  EXPECT_EQ(fill.record->getLeavesQuantity(), 60);
  EXPECT_EQ(fill.record->getExecutedAtNanos(), kNow);
  // Stored once, under its dedup identity: no second copy anywhere.
  bdb::Record<idl::Execution> stored;
  ASSERT_TRUE(
      tables::kExecutions
          .get(site("ss1").owned(), tables::reportKey(id, "xtst", "20231114", "E-1"), &stored)
          .isOk());
  EXPECT_EQ(std::string(stored->getId().cStr()), executionId);
  EXPECT_EQ(tables::executionKey(stored.reader()).bytes(),
            tables::reportKey(id, "xtst", "20231114", "E-1").bytes());

  // QuickFIX resends it after a reconnect, to this recorder or a restarted one.
  const uint64_t before = streetPosition("ss1");
  std::unique_ptr<StreetRecorder> later = restarted("ss1");
  for (StreetRecorder* again : {&ss1, later.get()}) {
    Recorded<idl::Execution> resent = must(again->recordFill(order.reader(), first));
    EXPECT_TRUE(resent.duplicate);
    EXPECT_EQ(std::string(resent.record->getId().cStr()), executionId);
  }
  EXPECT_EQ(streetPosition("ss1"), before);
  EXPECT_EQ(executionIds("ss1", id), std::vector<std::string>{executionId});

  // The venue expires the rest; the expiry is resent too.
  const ClosureReport expiry{
      .venueExecId = "E-2", .venueSession = "20231114", .reason = idl::Closure::Reason::EXPIRED};
  Recorded<idl::Closure> closed = must(ss1.recordClosure(order.reader(), expiry));
  ASSERT_FALSE(closed.duplicate);
  EXPECT_EQ(closed.record->getLeavesQuantity(), 60);
  EXPECT_EQ(std::string(closed.record->getVenueExecId().cStr()), "E-2");
  const uint64_t afterClosure = streetPosition("ss1");
  Recorded<idl::Closure> closedAgain = must(ss1.recordClosure(order.reader(), expiry));
  EXPECT_TRUE(closedAgain.duplicate);
  EXPECT_EQ(std::string(closedAgain.record->getId().cStr()),
            std::string(closed.record->getId().cStr()));
  EXPECT_EQ(executionIds("ss1", id), std::vector<std::string>{executionId});

  // An ExecID reused for another kind of report of the order is refused.
  RecordError otherKind = refusal(ss1.recordReject(
      order.reader(), {.venueExecId = "E-1", .venueSession = "20231114", .reason = "no"}));
  EXPECT_EQ(otherKind.code, RecordErrorCode::kInvalidReport);
  EXPECT_EQ(otherKind.reason, "venue exec id 'E-1' of order " + id +
                                  " was already recorded as another kind of report (" +
                                  executionId + ")");
  EXPECT_EQ(refusal(ss1.recordFill(order.reader(), {.venueExecId = "E-2",
                                                    .venueSession = "20231114",
                                                    .quantity = 1,
                                                    .priceMicros = 10'000'000}))
                .code,
            RecordErrorCode::kInvalidReport);
  EXPECT_EQ(streetPosition("ss1"), afterClosure);

  customer::DerivedStatus status = eventually("cf2", id, OrderState::EXPIRED);
  EXPECT_EQ(status.filledQuantity, 40);
}

TEST_F(StreetRecorderTest, AnExecIdIsTheSameReportOnlyInTheSameVenueSessionOfTheSameOrder) {
  const std::string id = place("cf1", "session-1");
  const std::string other = place("cf1", "session-2");
  bdb::Record<idl::Order> order = orderAt("ss1", id);
  bdb::Record<idl::Order> otherOrder = orderAt("ss1", other);
  StreetRecorder ss1 = recorder("ss1");
  ASSERT_FALSE(must(ss1.recordRoute(order.reader(), id)).duplicate);
  ASSERT_FALSE(must(ss1.recordRoute(otherOrder.reader(), other)).duplicate);

  // A venue that numbers ExecIDs per trading day uses "S-1" again the next day.
  const FillReport monday{
      .venueExecId = "S-1", .venueSession = "20231113", .quantity = 10, .priceMicros = 10'000'000};
  FillReport tuesday = monday;
  tuesday.venueSession = "20231114";
  const std::string first = must(ss1.recordFill(order.reader(), monday)).record->getId();
  Recorded<idl::Execution> next = must(ss1.recordFill(order.reader(), tuesday));
  EXPECT_FALSE(next.duplicate);
  EXPECT_NE(std::string(next.record->getId().cStr()), first);
  EXPECT_EQ(next.record->getCumulativeQuantity(), 20);
  // Each is still recorded once.
  const uint64_t before = streetPosition("ss1");
  EXPECT_TRUE(must(ss1.recordFill(order.reader(), monday)).duplicate);
  EXPECT_TRUE(must(ss1.recordFill(order.reader(), tuesday)).duplicate);
  EXPECT_EQ(streetPosition("ss1"), before);
  EXPECT_EQ(executionIds("ss1", id).size(), 2u);

  // The order id leads the key: the same ExecID for another order (named by
  // its own ClOrdID) is that order's report.
  Recorded<idl::Execution> elsewhere = must(ss1.recordFill(otherOrder.reader(), monday));
  EXPECT_FALSE(elsewhere.duplicate);
  EXPECT_EQ(std::string(elsewhere.record->getOrderId().cStr()), other);
  EXPECT_EQ(executionIds("ss1", other),
            std::vector<std::string>{std::string(elsewhere.record->getId().cStr())});
  EXPECT_EQ(executionIds("ss1", id).size(), 2u);

  EXPECT_EQ(eventually("cf2", id, OrderState::PARTIALLY_FILLED, 20).filledQuantity, 20);
}

TEST_F(StreetRecorderTest, AnOverfillIsRefusedAndNothingIsWritten) {
  const std::string id = place("cf1", "over-1");
  bdb::Record<idl::Order> order = orderAt("ss1", id);
  StreetRecorder ss1 = recorder("ss1");
  ASSERT_FALSE(must(ss1.recordRoute(order.reader(), id)).duplicate);
  ASSERT_FALSE(
      must(ss1.recordFill(order.reader(),
                          {.venueExecId = "O-1", .quantity = 60, .priceMicros = 10'000'000}))
          .duplicate);

  const uint64_t before = streetPosition("ss1");
  RecordError over = refusal(ss1.recordFill(
      order.reader(), {.venueExecId = "O-2", .quantity = 50, .priceMicros = 10'000'000}));
  EXPECT_EQ(over.code, RecordErrorCode::kOverfill);
  EXPECT_EQ(over.reason, "a fill of 50 for order " + id +
                             " (venue exec id 'O-2') would make 110 filled of 100 ordered; it was "
                             "not recorded");
  EXPECT_EQ(streetPosition("ss1"), before);
  EXPECT_EQ(executionIds("ss1", id).size(), 1u);

  Recorded<idl::Execution> rest = must(ss1.recordFill(
      order.reader(), {.venueExecId = "O-3", .quantity = 40, .priceMicros = 10'100'000}));
  EXPECT_EQ(rest.record->getCumulativeQuantity(), 100);
  EXPECT_EQ(rest.record->getLeavesQuantity(), 0);
  EXPECT_EQ(refusal(ss1.recordFill(order.reader(),
                                   {.venueExecId = "O-4", .quantity = 1, .priceMicros = 1}))
                .code,
            RecordErrorCode::kOverfill);
  EXPECT_EQ(refusal(ss1.recordFill(order.reader(),
                                   {.venueExecId = "O-5", .quantity = 0, .priceMicros = 1}))
                .code,
            RecordErrorCode::kInvalidReport);

  customer::DerivedStatus status = eventually("cf1", id, OrderState::FILLED);
  EXPECT_EQ(status.filledQuantity, 100);
  EXPECT_FALSE(status.overfilled);
}

TEST_F(StreetRecorderTest, AnExecIdReusedWithOtherTermsIsAConflictNotARepeat) {
  const std::string id = place("cf1", "reuse-1");
  bdb::Record<idl::Order> order = orderAt("ss1", id);
  StreetRecorder ss1 = recorder("ss1");
  ASSERT_FALSE(must(ss1.recordRoute(order.reader(), id)).duplicate);
  const FillReport first{
      .venueExecId = "1", .venueSession = "20231113", .quantity = 10, .priceMicros = 10'000'000};
  ASSERT_FALSE(must(ss1.recordFill(order.reader(), first)).duplicate);
  // A venue that restarted its ExecIDs the same day: same identity, other terms.
  FillReport again = first;
  again.quantity = 5;
  const uint64_t before = streetPosition("ss1");
  RecordError conflict = refusal(ss1.recordFill(order.reader(), again));
  EXPECT_EQ(conflict.code, RecordErrorCode::kConflictingReport) << conflict.toString();
  EXPECT_NE(conflict.reason.find("recorded as a fill of 10"), std::string::npos) << conflict.reason;
  EXPECT_EQ(streetPosition("ss1"), before);
  // The very same report is still a repeat.
  EXPECT_TRUE(must(ss1.recordFill(order.reader(), first)).duplicate);
}

TEST_F(StreetRecorderTest, ARefusedReportIsKeptOnceAndListed) {
  StreetRecorder ss1 = recorder("ss1");
  const RefusedReportEntry entry{.venue = "XNYS",
                                 .venueSession = "20231113",
                                 .venueExecId = "E-9",
                                 .clOrdId = "cf1-nobody",
                                 .orderId = "",
                                 .reason = idl::RefusedReport::Reason::UNKNOWN_ORDER,
                                 .detail = "unknownOrder: no such order",
                                 .quantity = 7,
                                 .priceMicros = 1'000'000,
                                 .message = "8=FIX.4.4|35=8|17=E-9|"};
  EXPECT_TRUE(must(ss1.recordRefused(entry)));
  const uint64_t before = streetPosition("ss1");
  EXPECT_FALSE(must(ss1.recordRefused(entry)));  // a resend of it: kept once
  EXPECT_EQ(streetPosition("ss1"), before);
  std::vector<bdb::Record<idl::RefusedReport>> kept = must(ss1.refusedReports());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(std::string(kept[0]->getClOrdId().cStr()), "cf1-nobody");
  EXPECT_EQ(kept[0]->getReason(), idl::RefusedReport::Reason::UNKNOWN_ORDER);
  EXPECT_EQ(kept[0]->getQuantity(), 7);
  EXPECT_EQ(std::string(kept[0]->getMessage().cStr()), "8=FIX.4.4|35=8|17=E-9|");
}

TEST_F(StreetRecorderTest, AnUnfinishedRouteIsConfirmedByItsAcknowledgementOrAFill) {
  const std::string acked = place("cf1", "confirm-1");
  const std::string filled = place("cf1", "confirm-2");
  const std::string silent = place("cf1", "confirm-3");
  StreetRecorder ss1 = recorder("ss1");
  for (const std::string& id : {acked, filled, silent}) {
    ASSERT_FALSE(must(ss1.recordRoute(orderAt("ss1", id).reader(), id)).duplicate);
  }
  EXPECT_TRUE(must(ss1.recordAcknowledgement(acked, "V-1", 0)));
  EXPECT_FALSE(must(ss1.recordAcknowledgement(acked, "V-1", 0)));  // already there
  ASSERT_FALSE(must(ss1.recordFill(orderAt("ss1", filled).reader(),
                                   {.venueExecId = "C-1", .quantity = 1, .priceMicros = 1'000'000}))
                   .duplicate);
  EXPECT_EQ(refusal(ss1.recordAcknowledgement("cf1-000000000", "V-2", 0)).code,
            RecordErrorCode::kUnknownOrder);

  std::map<std::string, bool> confirmed;
  for (const UnfinishedRoute& route : must(ss1.unfinishedRoutes())) {
    confirmed[route.order->getId().cStr()] = route.confirmed;
  }
  EXPECT_TRUE(confirmed.at(acked));
  EXPECT_TRUE(confirmed.at(filled));
  EXPECT_FALSE(confirmed.at(silent));
}

TEST_F(StreetRecorderTest, AStreetStartedLateFindsTheOrdersRoutedToItAndOnlyThose) {
  // Placed while ss2 is down: it never heard of them.
  const std::string acme = place("cf1", "late-1", "ACME");
  const std::string bolt1 = place("cf1", "late-2", "BOLT");
  const std::string bolt2 = place("cf2", "late-3", "BOLT");
  const std::string other = place("cf2", "late-4", "ZED");  // the default route: ss1

  for (const char* customer : {"cf1", "cf2"}) ASSERT_NO_FATAL_FAILURE(catchUp("ss2", customer));
  StreetRecorder ss2 = recorder("ss2");
  std::vector<bdb::Record<idl::Order>> unrouted = must(ss2.unroutedOrders());
  for (const bdb::Record<idl::Order>& order : unrouted) {
    EXPECT_EQ(std::string(order->getStreet().cStr()), "ss2") << order->getId().cStr();
  }
  std::vector<std::string> found = ids(unrouted);
  EXPECT_TRUE(has(found, bolt1));
  EXPECT_TRUE(has(found, bolt2));
  EXPECT_FALSE(has(found, acme));
  EXPECT_FALSE(has(found, other));

  // ss1, restarted, finds its own, and none of ss2's.
  for (const char* customer : {"cf1", "cf2"}) ASSERT_NO_FATAL_FAILURE(catchUp("ss1", customer));
  StreetRecorder ss1 = recorder("ss1");
  found = ids(must(ss1.unroutedOrders()));
  EXPECT_TRUE(has(found, acme));
  EXPECT_TRUE(has(found, other));
  EXPECT_FALSE(has(found, bolt1));
  EXPECT_FALSE(has(found, bolt2));

  // Routed, or refused by the street itself: no longer unrouted.
  bdb::Record<idl::Order> first = must(ss2.findOrder(bolt1));
  bdb::Record<idl::Order> second = must(ss2.findOrder(bolt2));
  ASSERT_FALSE(must(ss2.recordRoute(first.reader(), bolt1)).duplicate);
  found = ids(must(ss2.unroutedOrders()));
  EXPECT_FALSE(has(found, bolt1));
  EXPECT_TRUE(has(found, bolt2));
  ASSERT_FALSE(must(ss2.recordReject(second.reader(), {.venueExecId = "ss2:reject:" + bolt2,
                                                       .reason = "venue xtst is closed"}))
                   .duplicate);
  EXPECT_FALSE(has(ids(must(ss2.unroutedOrders())), bolt2));
  EXPECT_FALSE(has(ids(must(ss2.unroutedOrders(/*force=*/true))), bolt2));
  eventually("cf2", bolt2, OrderState::REJECTED);
}

TEST_F(StreetRecorderTest, CancelsFromAnotherUtilityAwaitAClosureOrARefusal) {
  const std::string one = place("cf1", "cx-1");
  const std::string two = place("cf1", "cx-2");
  bdb::Record<idl::Order> first = orderAt("ss1", one);
  bdb::Record<idl::Order> second = orderAt("ss1", two);
  StreetRecorder ss1 = recorder("ss1");
  ASSERT_FALSE(must(ss1.recordRoute(first.reader(), one)).duplicate);
  ASSERT_FALSE(must(ss1.recordRoute(second.reader(), two)).duplicate);
  EXPECT_TRUE(must(ss1.unansweredCancels()).empty());

  // Cancelled at cf2, which did not take the orders.
  ASSERT_NO_FATAL_FAILURE(catchUp("cf2", "cf1"));
  std::vector<std::string> cancels;
  for (const std::string& id : {one, two}) {
    auto cancel = desk("cf2").cancel("acct-1", id);
    ASSERT_TRUE(std::holds_alternative<std::string>(cancel))
        << std::get<customer::OrderError>(cancel).reason;
    cancels.push_back(std::get<std::string>(cancel));
  }
  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf2"));
  std::vector<bdb::Record<idl::CancelRequest>> unanswered = must(ss1.unansweredCancels());
  EXPECT_EQ(ids(unanswered), cancels);
  if (!unanswered.empty()) {
    EXPECT_EQ(std::string(unanswered[0]->getOrderId().cStr()), one);
    EXPECT_EQ(std::string(unanswered[0]->getStreet().cStr()), "ss1");
  }

  // The venue confirms the first and refuses the second.
  ASSERT_FALSE(must(ss1.recordClosure(first.reader(), {.venueExecId = "C-1",
                                                       .reason = idl::Closure::Reason::CANCELLED,
                                                       .cancelRequestId = cancels[0]}))
                   .duplicate);
  EXPECT_EQ(ids(must(ss1.unansweredCancels())), std::vector<std::string>{cancels[1]});
  ASSERT_FALSE(must(ss1.recordReject(second.reader(), {.venueExecId = "C-2",
                                                       .kind = idl::Reject::Kind::CANCEL_REFUSED,
                                                       .reason = "too late to cancel",
                                                       .cancelRequestId = cancels[1]}))
                   .duplicate);
  EXPECT_TRUE(must(ss1.unansweredCancels()).empty());
  EXPECT_TRUE(must(ss1.unansweredCancels(/*force=*/true)).empty());
  // A restarted recorder agrees.
  EXPECT_TRUE(must(recorder("ss1").unansweredCancels()).empty());

  eventually("cf1", one, OrderState::CANCELLED);
  eventually("cf1", two, OrderState::NEW);
}

TEST_F(StreetRecorderTest, CatchUpSkipsGroupsThatHaveNotMoved) {
  for (const char* customer : {"cf1", "cf2"}) ASSERT_NO_FATAL_FAILURE(catchUp("ss1", customer));
  StreetRecorder ss1 = recorder("ss1");
  const std::vector<std::string> first = ids(must(ss1.unroutedOrders()));
  must(ss1.unansweredCancels());
  CatchUpStats stats = ss1.catchUpStats();
  EXPECT_EQ(stats.orders.scanned, 2u);
  EXPECT_EQ(stats.orders.skipped, 0u);
  EXPECT_EQ(stats.cancels.scanned, 2u);

  // Nothing changed: nothing is read again, and the answer is the same.
  EXPECT_EQ(ids(must(ss1.unroutedOrders())), first);
  must(ss1.unansweredCancels());
  stats = ss1.catchUpStats();
  EXPECT_EQ(stats.orders.scanned, 2u);
  EXPECT_EQ(stats.orders.skipped, 2u);
  EXPECT_EQ(stats.cancels.scanned, 2u);
  EXPECT_EQ(stats.cancels.skipped, 2u);

  // cf2 moves, cf1 does not.
  const std::string id = place("cf2", "skip-1");
  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf2"));
  std::vector<std::string> expected = first;
  expected.push_back(id);
  EXPECT_EQ(ids(must(ss1.unroutedOrders())), expected);
  stats = ss1.catchUpStats();
  EXPECT_EQ(stats.orders.scanned, 3u);
  EXPECT_EQ(stats.orders.skipped, 3u);

  // Forced: every group is read again, with the same answer.
  EXPECT_EQ(ids(must(ss1.unroutedOrders(/*force=*/true))), expected);
  stats = ss1.catchUpStats();
  EXPECT_EQ(stats.orders.scanned, 5u);
  EXPECT_EQ(stats.orders.skipped, 3u);
}

TEST_F(StreetRecorderTest, AnOrderIsReleasedOnceItsOwnerHasDecidedIt) {
  const std::string first = place("cf1", "release-1");
  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf1"));
  StreetRecorder ss1 = recorder("ss1");
  // Nothing has released it yet: the street would hold it.
  EXPECT_FALSE(must(ss1.isReleased(first)));

  ASSERT_TRUE(desk("cf1").release().isOk());
  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf1"));
  EXPECT_TRUE(must(ss1.isReleased(first)));

  // A later order is not covered by the mark written before it.
  const std::string second = place("cf1", "release-2");
  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf1"));
  EXPECT_FALSE(must(ss1.isReleased(second)));
  EXPECT_TRUE(must(ss1.isReleased(first)));

  EXPECT_EQ(refusal(ss1.isReleased("cf1-x")).code, RecordErrorCode::kUnknownOrder);
  EXPECT_EQ(refusal(ss1.isReleased("ss1-000000001")).code, RecordErrorCode::kUnknownOrder);
}

}  // namespace
}  // namespace triad::street
