// The firm's catch-up path over real Berkeley DB in one process: the firm
// group's owner and a street group ss1 whose `executions` the tests write
// directly (as ss1's recorder would). Neither group has a replica here, so
// neither waits for acknowledgements. Opening and closing environments is
// slow (docs/decisions.md): the suite shares one setup, each test uses its
// own accounts, and the books are verified against ss1 after every test.

#include "utilities/firm/execution_booker.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bdb/table.h"
#include "bdb/test_sites.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "utilities/common/group_schema.h"
#include "utilities/common/tables.h"
#include "utilities/firm/account_reads.h"
#include "utilities/firm/books.h"

namespace triad::firm {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHost = "127.0.0.1";
constexpr int64_t kDollar = 1'000'000;
// 2024-03-04T15:00:00Z.
constexpr int64_t kExecutedAt = 1'709'564'400'000'000'000;

class ExecutionBookerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    sites_ = new bdb::testing::TestSites({"firm", "ss1"});
    for (const char* id : {"firm", "ss1"}) transports_[id] = sites_->open(id);
    // Each group alone at its owner: no replica, no acknowledgements.
    auto options = [&](const std::string& group, topology::Role role) {
      bdb::GroupOptions o = sites_->groupOptions(group, *transports_.at(group), *dir_ / group);
      o.tables = common::tableSpecs(role);
      o.ackPolicy = bdb::AckPolicy::kNone;
      return o;
    };
    bdb::Status s = bdb::OwnershipGroup::open(options("firm", topology::Role::kFirm), &firm_);
    ASSERT_TRUE(s.isOk()) << s.toString();
    s = bdb::OwnershipGroup::open(options("ss1", topology::Role::kStreet), &street_);
    ASSERT_TRUE(s.isOk()) << s.toString();

    BooksOptions booksOptions;
    booksOptions.nowNanos = [] { return kExecutedAt; };
    booksOptions.passwordOpsLimit = 1;  // libsodium's minimum: tests need no real cost
    booksOptions.passwordMemLimit = 8192;
    Result<std::unique_ptr<Books>> books = Books::open(*firm_, booksOptions);
    ASSERT_TRUE(books.isOk()) << books.toString();
    books_ = std::move(books).value().release();
  }

  static void TearDownTestSuite() {
    delete books_;
    street_.reset();
    firm_.reset();
    transports_.clear();
    delete sites_;
    delete dir_;
  }

  void TearDown() override {
    if (books_ == nullptr) return;
    bdb::OwnershipGroup* const streets[] = {street_.get()};
    Result<VerifyReport> report = books_->verify(streets);
    ASSERT_TRUE(report.isOk()) << report.toString();
    EXPECT_TRUE(report.value().clean()) << report.value().toString();
  }

  static std::unique_ptr<ExecutionBooker> newBooker(
      std::chrono::milliseconds fullScanInterval = std::chrono::seconds(1)) {
    return std::make_unique<ExecutionBooker>(
        *books_, std::vector<bdb::OwnershipGroup*>{street_.get()},
        [](std::string_view line) { logged_.emplace_back(line); }, fullScanInterval);
  }

  static void openAccount(const std::string& id) {
    capnp::MallocMessageBuilder limits;
    auto root = limits.initRoot<idl::RiskLimits>();
    Result<> created = books_->createAccount(id, "Customer " + id, "pw", "USD", root.asReader());
    ASSERT_TRUE(created.isOk()) << created.toString();
    Result<CashPosting> deposited = books_->deposit(id, "USD", 1'000'000 * kDollar);
    ASSERT_TRUE(deposited.isOk()) << deposited.toString();
  }

  // Writes an execution into ss1's `executions` (quantity 0: a marker) and
  // returns its id. `orderId` decides where it lands in the table.
  static std::string recordExecution(const std::string& account, const std::string& orderId,
                                     int64_t quantity, idl::Side side = idl::Side::BUY) {
    capnp::MallocMessageBuilder message;
    auto execution = message.initRoot<idl::Execution>();
    const std::string id = "ss1-" + std::to_string(1000000000 + ++executions_).substr(1);
    execution.setId(id);
    execution.setOrderId(orderId);
    execution.setVenue("XTST");
    execution.setVenueExecId("V" + id);
    execution.setAccount(account);
    execution.setSymbol("ACME");
    execution.setSide(side);
    execution.setQuantity(quantity);
    execution.setPriceMicros(10 * kDollar);
    execution.setCurrency("USD");
    execution.setExecutedAtNanos(kExecutedAt);
    const bdb::Key key = tables::executionKey(execution.asReader());
    bdb::Status s = street_->write(
        [&](bdb::WriteTxn& txn) { return tables::kExecutions.put(txn, key, message); });
    EXPECT_TRUE(s.isOk()) << s.toString();
    keys_.insert_or_assign(id, key);
    return id;
  }

  static int64_t shares(const std::string& account) {
    Result<std::vector<PositionSummary>> positions = positionsOf(*firm_, account);
    EXPECT_TRUE(positions.isOk()) << positions.toString();
    if (positions.isOk()) {
      for (const PositionSummary& p : positions.value()) {
        if (p.symbol == "ACME") return p.quantity;
      }
    }
    return 0;
  }

  static size_t executionsInStreet() {
    size_t count = 0;
    bdb::Status s = tables::kExecutions.scan(*street_, "", [&](std::string_view, auto) {
      ++count;
      return true;
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    return count;
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline bdb::testing::TestSites* sites_ = nullptr;
  static inline std::map<std::string, std::unique_ptr<bdb::ReplicationTransport>> transports_;
  static inline std::map<std::string, bdb::Key> keys_;  // execution id -> its key
  static inline std::unique_ptr<bdb::OwnershipGroup> firm_;
  static inline std::unique_ptr<bdb::OwnershipGroup> street_;
  static inline Books* books_ = nullptr;
  static inline int executions_ = 0;
  static inline std::vector<std::string> logged_;
};

TEST_F(ExecutionBookerTest, BooksEveryFillOnceAcrossPassesAndIgnoresMarkers) {
  openAccount("alice");
  recordExecution("alice", "cf1-000000500", 100);
  recordExecution("alice", "cf1-000000500", 50);
  const std::string marker = recordExecution("alice", "cf1-000000700", 0);  // not a fill
  recordExecution("alice", "cf1-000000900", 10, idl::Side::SELL);

  std::unique_ptr<ExecutionBooker> booker = newBooker();
  EXPECT_EQ(booker->runPass(), 3u);
  EXPECT_EQ(shares("alice"), 140);
  ExecutionBookerStats stats = booker->stats();
  EXPECT_EQ(stats.passes, 1u);
  EXPECT_EQ(stats.groupsScanned, 1u);
  EXPECT_EQ(stats.executionsBooked, 3u);
  EXPECT_EQ(stats.markersIgnored, 1u);
  EXPECT_EQ(stats.bookingFailures, 0u);

  // Nothing new: the group is skipped and nothing is booked again.
  EXPECT_EQ(booker->runPass(), 0u);
  EXPECT_EQ(booker->runPass(), 0u);
  stats = booker->stats();
  EXPECT_EQ(stats.passes, 3u);
  EXPECT_EQ(stats.groupsScanned, 1u);
  EXPECT_EQ(stats.scansSkipped, 2u);
  EXPECT_EQ(stats.executionsBooked, 3u);
  EXPECT_EQ(shares("alice"), 140);

  // New fills land before and after the known ones in key order.
  recordExecution("alice", "cf1-000000100", 7);
  recordExecution("alice", "cf1-000000999", 3);
  EXPECT_EQ(booker->runPass(), 2u);
  stats = booker->stats();
  EXPECT_EQ(stats.groupsScanned, 2u);
  EXPECT_EQ(stats.executionsBooked, 5u);
  EXPECT_EQ(stats.alreadyBooked, 0u);  // known ids are not looked up again
  EXPECT_EQ(stats.markersIgnored, 1u);
  EXPECT_EQ(shares("alice"), 150);

  // Markers never belong in `executions`, and verify counts every record
  // there as a fill: take it out again before the books are verified.
  bdb::Status removed = street_->write([&](bdb::WriteTxn& txn) {
    return txn.remove(tables::kExecutions.name(), keys_.at(marker));
  });
  ASSERT_TRUE(removed.isOk()) << removed.toString();
}

TEST_F(ExecutionBookerTest, ARestartedBookerBooksNothingTwice) {
  openAccount("bob");
  recordExecution("bob", "cf1-000001000", 20);
  std::unique_ptr<ExecutionBooker> first = newBooker();
  EXPECT_EQ(first->runPass(), 1u);
  first.reset();

  // A fill booked by another path (the bus) before the new booker's pass.
  recordExecution("bob", "cf1-000001001", 5);
  const std::string direct = recordExecution("bob", "cf1-000001002", 1);
  {
    bdb::Record<idl::Execution> record;
    ASSERT_TRUE(tables::kExecutions.get(*street_, keys_.at(direct), &record).isOk());
    Result<BookingOutcome> booked = books_->bookExecution(record.reader());
    ASSERT_TRUE(booked.isOk()) << booked.toString();
    EXPECT_FALSE(booked.value().alreadyBooked);
  }

  std::unique_ptr<ExecutionBooker> restarted = newBooker();
  EXPECT_EQ(restarted->runPass(), 1u);  // only cf1-000001001's fill
  ExecutionBookerStats stats = restarted->stats();
  EXPECT_EQ(stats.executionsBooked, 1u);
  EXPECT_EQ(stats.markersIgnored + stats.executionsBooked + stats.alreadyBooked,
            executionsInStreet());
  EXPECT_EQ(shares("bob"), 26);
  EXPECT_EQ(restarted->runPass(), 0u);
  EXPECT_EQ(restarted->stats().scansSkipped, 1u);
  EXPECT_EQ(shares("bob"), 26);
}

TEST_F(ExecutionBookerTest, ARefusedBookingIsRetriedUntilItBooks) {
  std::unique_ptr<ExecutionBooker> booker = newBooker();
  booker->runPass();  // what earlier tests left, all booked already
  const ExecutionBookerStats before = booker->stats();

  const size_t loggedBefore = logged_.size();
  const std::string id = recordExecution("carol", "cf1-000002000", 30);  // no such account yet
  EXPECT_EQ(booker->runPass(), 0u);
  EXPECT_EQ(booker->runPass(), 0u);  // group unchanged: the failed one is retried alone
  ExecutionBookerStats stats = booker->stats();
  EXPECT_EQ(stats.bookingFailures - before.bookingFailures, 2u);
  EXPECT_EQ(stats.scansSkipped - before.scansSkipped, 1u);
  ASSERT_EQ(logged_.size(), loggedBefore + 1) << "a failure is logged once per execution";
  EXPECT_NE(logged_.back().find(id), std::string::npos) << logged_.back();

  openAccount("carol");  // the firm group moves; ss1 does not
  EXPECT_EQ(booker->runPass(), 1u);
  EXPECT_EQ(shares("carol"), 30);
  EXPECT_EQ(booker->runPass(), 0u);
  EXPECT_EQ(booker->stats().executionsBooked - before.executionsBooked, 1u);
}

// Announced executions are read by key; the whole table is scanned again
// only when asked (a gap on the bus) or when the last scan is old.
TEST_F(ExecutionBookerTest, AnnouncedExecutionsAreReadByKeyWithoutAScan) {
  openAccount("dave");
  std::unique_ptr<ExecutionBooker> booker = newBooker(std::chrono::hours(1));
  booker->runPass();  // the first pass scans whole
  const ExecutionBookerStats before = booker->stats();

  // Many at once: booked concurrently, in shared commits.
  for (int i = 0; i < 40; ++i) {
    const std::string order = "cf1-0000031" + std::to_string(10 + i);
    const std::string id = recordExecution("dave", order, 1);
    booker->announce("ss1", id, keys_.at(id));
  }
  const std::string unannounced = recordExecution("dave", "cf1-000003200", 5);
  // Not (yet) at this replica.
  booker->announce("ss1", "ss1-999999999",
                   tables::reportKey("cf1-000003999", "XTST", "20240304", "Vss1-999999999"));
  EXPECT_EQ(booker->runPass(), 40u);
  ExecutionBookerStats stats = booker->stats();
  EXPECT_EQ(stats.groupsScanned, before.groupsScanned);
  EXPECT_EQ(stats.pointReads - before.pointReads, 41u);
  EXPECT_EQ(shares("dave"), 40);

  booker->requestFullScan();
  EXPECT_EQ(booker->runPass(), 1u);  // the unannounced one, found by the scan
  stats = booker->stats();
  EXPECT_EQ(stats.groupsScanned, before.groupsScanned + 1);
  EXPECT_EQ(stats.executionsBooked - before.executionsBooked, 41u);
  EXPECT_EQ(shares("dave"), 45);
  EXPECT_EQ(booker->runPass(), 0u);
  (void)unannounced;
}

}  // namespace
}  // namespace triad::firm
