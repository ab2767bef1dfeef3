// The firm's books over real Berkeley DB replication in one process: the firm
// group's owner and one replica (site cf1), and a street group ss1 whose
// executions the books cross-check. Opening and closing a client
// environment is slow (docs/decisions.md), so the suite shares one setup and
// each test uses its own accounts; the books are verified after every test.

#include "utilities/firm/books.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "bdb/table.h"
#include "bdb/test_sites.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "utilities/common/group_schema.h"
#include "utilities/common/tables.h"
#include "utilities/firm/book_accounts.h"

namespace triad::firm {
namespace {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                \
  do {                                                 \
    const auto& result_ = (expr);                      \
    ASSERT_TRUE(result_.isOk()) << result_.toString(); \
  } while (0)

#define ASSERT_STATUS_OK(expr)                         \
  do {                                                 \
    bdb::Status status_ = (expr);                      \
    ASSERT_TRUE(status_.isOk()) << status_.toString(); \
  } while (0)

constexpr const char* kHost = "127.0.0.1";
constexpr int64_t kDollar = 1'000'000;

int64_t nanosAt(int year, unsigned month, unsigned day, int hour = 15) {
  using namespace std::chrono;
  const sys_days date =
      year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  return duration_cast<nanoseconds>((date + hours{hour}).time_since_epoch()).count();
}

// The test's clock: every record is stamped with it, and deposits are dated by it.
std::atomic<int64_t> gNow{nanosAt(2024, 3, 4, 12)};

class BooksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    sites_ = new bdb::testing::TestSites({"firm", "cf1", "ss1"});
    for (const char* id : {"firm", "cf1", "ss1"}) transports_[id] = sites_->open(id);
    auto options = [&](const std::string& group, const std::string& site, topology::Role role) {
      bdb::GroupOptions o =
          sites_->groupOptions(group, *transports_.at(site), *dir_ / (site + "-" + group));
      o.tables = common::tableSpecs(role);
      return o;
    };
    bdb::Status s =
        bdb::OwnershipGroup::open(options("firm", "firm", topology::Role::kFirm), &firm_);
    ASSERT_TRUE(s.isOk()) << s.toString();
    s = bdb::OwnershipGroup::open(options("firm", "cf1", topology::Role::kFirm), &replica_);
    ASSERT_TRUE(s.isOk()) << s.toString();
    // The street group has no replica here: it needs no acknowledgements.
    bdb::GroupOptions street = options("ss1", "ss1", topology::Role::kStreet);
    street.ackPolicy = bdb::AckPolicy::kNone;
    s = bdb::OwnershipGroup::open(street, &street_);
    ASSERT_TRUE(s.isOk()) << s.toString();
    ASSERT_TRUE(firm_->waitForReplicas(1, 20s));

    Result<std::unique_ptr<Books>> books = Books::open(*firm_, booksOptions());
    ASSERT_TRUE(books.isOk()) << books.toString();
    books_ = std::move(books).value().release();
  }

  static void TearDownTestSuite() {
    delete books_;
    street_.reset();
    replica_.reset();
    firm_.reset();
    transports_.clear();
    delete sites_;
    delete dir_;
  }

  void TearDown() override {
    if (firm_ == nullptr) return;
    Result<VerifyReport> report = books_->verify(streets());
    ASSERT_TRUE(report.isOk()) << report.toString();
    EXPECT_TRUE(report.value().clean()) << report.value().toString();
  }

  static BooksOptions booksOptions() {
    BooksOptions options;
    options.nowNanos = [] { return gNow.load(); };
    options.passwordOpsLimit = 1;  // libsodium's minimum: tests need no real cost
    options.passwordMemLimit = 8192;
    return options;
  }

  static std::span<bdb::OwnershipGroup* const> streets() {
    static bdb::OwnershipGroup* const groups[] = {street_.get()};
    return groups;
  }

  // A customer account with `cash` deposited.
  static void openAccount(const std::string& id, int64_t cash, const std::string& secret = "pw") {
    capnp::MallocMessageBuilder limits;
    auto root = limits.initRoot<idl::RiskLimits>();
    ASSERT_OK(books_->createAccount(id, "Customer " + id, secret, "USD", root.asReader()));
    if (cash > 0) ASSERT_OK(books_->deposit(id, "USD", cash));
  }

  // The street groups' key: order id, execution id (docs/storage.md).
  static bdb::Key executionKey(idl::Execution::Reader execution) {
    return bdb::Key().add(execution.getOrderId().cStr()).add(execution.getId().cStr());
  }

  // Records a fill in the street group (as ss1 would) and returns it.
  struct Fill {
    capnp::MallocMessageBuilder message;
    idl::Execution::Reader reader() { return message.getRoot<idl::Execution>().asReader(); }
  };
  static std::unique_ptr<Fill> recordFill(const std::string& account, const std::string& symbol,
                                          idl::Side side, int64_t quantity, int64_t priceMicros,
                                          int64_t executedAtNanos = nanosAt(2024, 3, 4)) {
    auto fill = std::make_unique<Fill>();
    auto execution = fill->message.initRoot<idl::Execution>();
    const std::string id = "ss1-" + std::to_string(1000000000 + ++executions_).substr(1);
    execution.setId(id);
    execution.setOrderId("cf1-" + id.substr(4));
    execution.setVenue("XTST");
    execution.setVenueExecId("V" + id);
    execution.setAccount(account);
    execution.setSymbol(symbol);
    execution.setSide(side);
    execution.setQuantity(quantity);
    execution.setPriceMicros(priceMicros);
    execution.setCurrency("USD");
    execution.setExecutedAtNanos(executedAtNanos);
    bdb::Status s = street_->write([&](bdb::WriteTxn& txn) {
      return tables::kExecutions.put(txn, executionKey(fill->reader()), fill->message);
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    return fill;
  }

  // Records a fill and books it.
  static BookingOutcome fill(const std::string& account, const std::string& symbol, idl::Side side,
                             int64_t quantity, int64_t priceMicros,
                             int64_t executedAtNanos = nanosAt(2024, 3, 4)) {
    auto recorded = recordFill(account, symbol, side, quantity, priceMicros, executedAtNanos);
    Result<BookingOutcome> booked = books_->bookExecution(recorded->reader());
    EXPECT_TRUE(booked.isOk()) << booked.toString();
    return booked.isOk() ? booked.value() : BookingOutcome{};
  }

  static CashBalance cash(bdb::OwnershipGroup& group, const std::string& account) {
    Result<CashBalance> balance = balanceOf(group, account, "USD");
    EXPECT_TRUE(balance.isOk()) << balance.toString();
    return balance.isOk() ? balance.value() : CashBalance{};
  }

  static PositionSummary position(bdb::OwnershipGroup& group, const std::string& account,
                                  const std::string& symbol) {
    Result<std::vector<PositionSummary>> positions = positionsOf(group, account);
    EXPECT_TRUE(positions.isOk()) << positions.toString();
    if (positions.isOk()) {
      for (const PositionSummary& p : positions.value()) {
        if (p.symbol == symbol) return p;
      }
    }
    return PositionSummary{};
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline bdb::testing::TestSites* sites_ = nullptr;
  static inline std::map<std::string, std::unique_ptr<bdb::ReplicationTransport>> transports_;
  static inline std::unique_ptr<bdb::OwnershipGroup> firm_;
  static inline std::unique_ptr<bdb::OwnershipGroup> replica_;
  static inline std::unique_ptr<bdb::OwnershipGroup> street_;
  static inline Books* books_ = nullptr;
  static inline int executions_ = 0;
};

TEST_F(BooksTest, BuyThenSellMovesCashAndPositionWithRealisedPnl) {
  openAccount("alice", 10'000 * kDollar);
  fill("alice", "ACME", idl::Side::BUY, 100, 50 * kDollar);

  CashBalance after = cash(*firm_, "alice");
  EXPECT_EQ(after.tradeDateMicros, 5'000 * kDollar);
  EXPECT_EQ(after.settledMicros, 10'000 * kDollar) << "settled cash moves only at settlement";
  PositionSummary acme = position(*firm_, "alice", "ACME");
  EXPECT_EQ(acme.quantity, 100);
  EXPECT_EQ(acme.costBasisMicros, 5'000 * kDollar);
  EXPECT_EQ(acme.averageCostMicros, 50 * kDollar);

  fill("alice", "ACME", idl::Side::SELL, 60, 55 * kDollar);
  after = cash(*firm_, "alice");
  EXPECT_EQ(after.tradeDateMicros, 8'300 * kDollar);
  EXPECT_EQ(after.settledMicros, 10'000 * kDollar);
  acme = position(*firm_, "alice", "ACME");
  EXPECT_EQ(acme.quantity, 40);
  EXPECT_EQ(acme.costBasisMicros, 2'000 * kDollar);
  EXPECT_EQ(acme.averageCostMicros, 50 * kDollar);
  EXPECT_EQ(acme.realisedPnlMicros, 300 * kDollar);  // (55 - 50) * 60
}

TEST_F(BooksTest, PartialFillsBookPerFill) {
  openAccount("bob", 10'000 * kDollar);
  const BookingOutcome first = fill("bob", "WIDG", idl::Side::BUY, 100, 10 * kDollar);
  const BookingOutcome second = fill("bob", "WIDG", idl::Side::BUY, 120, 10'500'000);
  const BookingOutcome third = fill("bob", "WIDG", idl::Side::BUY, 80, 11 * kDollar);
  EXPECT_FALSE(first.alreadyBooked || second.alreadyBooked || third.alreadyBooked);
  EXPECT_NE(first.postingId, second.postingId);
  EXPECT_NE(second.postingId, third.postingId);

  const PositionSummary widg = position(*firm_, "bob", "WIDG");
  EXPECT_EQ(widg.quantity, 300);
  EXPECT_EQ(widg.costBasisMicros, 3'140 * kDollar);  // 1,000 + 1,260 + 880
  EXPECT_EQ(cash(*firm_, "bob").tradeDateMicros, 6'860 * kDollar);
}

TEST_F(BooksTest, BookingTheSameExecutionTwiceBooksOnce) {
  openAccount("carol", 1'000 * kDollar);
  auto recorded = recordFill("carol", "ACME", idl::Side::BUY, 10, 20 * kDollar);
  Result<BookingOutcome> first = books_->bookExecution(recorded->reader());
  ASSERT_OK(first);
  EXPECT_FALSE(first.value().alreadyBooked);

  Result<BookingOutcome> again = books_->bookExecution(recorded->reader());
  ASSERT_OK(again);
  EXPECT_TRUE(again.value().alreadyBooked);
  EXPECT_EQ(again.value().postingId, first.value().postingId);

  // Repeats racing each other through one group commit: still no second booking.
  auto racing = recordFill("carol", "ACME", idl::Side::BUY, 5, 20 * kDollar);
  std::atomic<int> booked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      Result<BookingOutcome> outcome = books_->bookExecution(racing->reader());
      EXPECT_TRUE(outcome.isOk()) << outcome.toString();
      if (outcome.isOk() && !outcome.value().alreadyBooked) ++booked;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(booked.load(), 1);
  EXPECT_EQ(position(*firm_, "carol", "ACME").quantity, 15);
  EXPECT_EQ(cash(*firm_, "carol").tradeDateMicros, 700 * kDollar);
}

TEST_F(BooksTest, ReopenedBooksContinueTheIdSequence) {
  openAccount("dave", 1'000 * kDollar);
  auto before = recordFill("dave", "ACME", idl::Side::BUY, 1, 10 * kDollar);
  Result<BookingOutcome> booked = books_->bookExecution(before->reader());
  ASSERT_OK(booked);

  // A restarted firm utility: the same group, a new Books.
  delete books_;
  books_ = nullptr;
  Result<std::unique_ptr<Books>> reopened = Books::open(*firm_, booksOptions());
  ASSERT_OK(reopened);
  books_ = std::move(reopened).value().release();

  Result<BookingOutcome> repeat = books_->bookExecution(before->reader());
  ASSERT_OK(repeat);
  EXPECT_TRUE(repeat.value().alreadyBooked);
  const BookingOutcome next = fill("dave", "ACME", idl::Side::BUY, 1, 10 * kDollar);
  EXPECT_GT(next.postingId, booked.value().postingId) << "ids must never be reused";
  EXPECT_EQ(position(*firm_, "dave", "ACME").quantity, 2);
}

TEST_F(BooksTest, ShortSaleIsBooked) {
  openAccount("erin", 0);
  fill("erin", "SHRT", idl::Side::SELL, 50, 8 * kDollar);
  const PositionSummary shrt = position(*firm_, "erin", "SHRT");
  EXPECT_EQ(shrt.quantity, -50);
  EXPECT_EQ(shrt.averageCostMicros, 8 * kDollar);
  EXPECT_EQ(cash(*firm_, "erin").tradeDateMicros, 400 * kDollar);

  fill("erin", "SHRT", idl::Side::BUY, 50, 6 * kDollar);  // covers at a profit of 2.00 a share
  EXPECT_EQ(position(*firm_, "erin", "SHRT").realisedPnlMicros, 100 * kDollar);
  EXPECT_EQ(position(*firm_, "erin", "SHRT").quantity, 0);
}

TEST_F(BooksTest, DepositWithdrawAndOverdraftRefusal) {
  openAccount("frank", 0);
  Result<CashPosting> deposited = books_->deposit("frank", "USD", 250 * kDollar);
  ASSERT_OK(deposited);
  EXPECT_EQ(deposited.value().settledMicros, 250 * kDollar);

  Result<CashPosting> refused = books_->withdraw("frank", "USD", 1'000 * kDollar);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().code, idl::ErrorCode::INSUFFICIENT_BUYING_POWER);
  EXPECT_EQ(refused.error().reason, "insufficient settled cash: needs 1,000.00, has 250.00");
  EXPECT_EQ(cash(*firm_, "frank").settledMicros, 250 * kDollar) << "a refusal writes nothing";

  Result<CashPosting> withdrawn = books_->withdraw("frank", "USD", 100 * kDollar);
  ASSERT_OK(withdrawn);
  EXPECT_EQ(withdrawn.value().tradeDateMicros, 150 * kDollar);
  EXPECT_EQ(withdrawn.value().settledMicros, 150 * kDollar);

  // Settled cash already spent on an unsettled buy cannot leave.
  fill("frank", "ACME", idl::Side::BUY, 10, 10 * kDollar);
  refused = books_->withdraw("frank", "USD", 100 * kDollar);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().reason, "insufficient settled cash: needs 100.00, has 50.00");

  EXPECT_EQ(books_->deposit("frank", "USD", 0).error().code, idl::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(books_->deposit("frank", "usd", kDollar).error().code,
            idl::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(books_->deposit("nobody", "USD", kDollar).error().code, idl::ErrorCode::NOT_FOUND);
}

TEST_F(BooksTest, ReferencedDepositAndWithdrawalPostOnceAndRefuseAReusedReference) {
  openAccount("fay", 0);
  Result<CashPosting> first = books_->deposit("fay", "USD", 300 * kDollar, "wire-0001");
  ASSERT_OK(first);
  EXPECT_FALSE(first.value().repeat);
  EXPECT_EQ(first.value().settledMicros, 300 * kDollar);

  // A retry (as after notReplicated) answers the first posting and posts nothing.
  Result<CashPosting> retry = books_->deposit("fay", "USD", 300 * kDollar, "wire-0001");
  ASSERT_OK(retry);
  EXPECT_TRUE(retry.value().repeat);
  EXPECT_EQ(retry.value().postingId, first.value().postingId);
  EXPECT_EQ(retry.value().settledMicros, 300 * kDollar);
  EXPECT_EQ(cash(*firm_, "fay").settledMicros, 300 * kDollar);

  // The same reference with other content is refused, whichever field differs.
  for (auto other : {books_->deposit("fay", "USD", 301 * kDollar, "wire-0001"),
                     books_->withdraw("fay", "USD", 300 * kDollar, "wire-0001"),
                     books_->deposit("frank", "USD", 300 * kDollar, "wire-0001")}) {
    ASSERT_FALSE(other.isOk());
    EXPECT_EQ(other.error().code, idl::ErrorCode::DUPLICATE);
    EXPECT_EQ(other.error().reason, "reference 'wire-0001' was already used for a deposit of " +
                                        std::string("300.00 USD to fay (posting ") +
                                        first.value().postingId + "); use a new reference");
  }

  // A withdrawal's retry is answered as first made, though the cash has gone since.
  Result<CashPosting> out = books_->withdraw("fay", "USD", 300 * kDollar, "payout-7");
  ASSERT_OK(out);
  EXPECT_EQ(out.value().settledMicros, 0);
  Result<CashPosting> outAgain = books_->withdraw("fay", "USD", 300 * kDollar, "payout-7");
  ASSERT_OK(outAgain);
  EXPECT_TRUE(outAgain.value().repeat);
  EXPECT_EQ(outAgain.value().postingId, out.value().postingId);
  EXPECT_EQ(cash(*firm_, "fay").settledMicros, 0);

  // A refused posting records no reference: the same one may be used again.
  Result<CashPosting> refused = books_->withdraw("fay", "USD", kDollar, "payout-8");
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().code, idl::ErrorCode::INSUFFICIENT_BUYING_POWER);
  ASSERT_OK(books_->deposit("fay", "USD", kDollar, "payout-8"));
  EXPECT_EQ(cash(*firm_, "fay").settledMicros, kDollar);

  EXPECT_EQ(books_->deposit("fay", "USD", kDollar, "has space").error().code,
            idl::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(books_->deposit("fay", "USD", kDollar, std::string(129, 'r')).error().code,
            idl::ErrorCode::INVALID_ARGUMENT);
  // Without a reference, every call posts.
  ASSERT_OK(books_->deposit("fay", "USD", kDollar));
  ASSERT_OK(books_->deposit("fay", "USD", kDollar));
  EXPECT_EQ(cash(*firm_, "fay").settledMicros, 3 * kDollar);
}

TEST_F(BooksTest, ConcurrentSettlementRunsMoveCashOnce) {
  openAccount("gus", 1'000 * kDollar);
  fill("gus", "ACME", idl::Side::BUY, 3, 100 * kDollar, nanosAt(2024, 3, 4));
  std::atomic<int> linesForGus{0};
  std::vector<std::thread> runs;
  for (int i = 0; i < 4; ++i) {
    runs.emplace_back([&] {
      Result<SettlementRun> run = books_->settle(20240304);
      EXPECT_TRUE(run.isOk()) << run.toString();
      if (!run.isOk()) return;
      for (const SettlementLine& line : run.value().lines) {
        if (line.account == "gus") ++linesForGus;
      }
    });
  }
  for (std::thread& run : runs) run.join();
  EXPECT_EQ(linesForGus.load(), 1);
  EXPECT_EQ(cash(*firm_, "gus").settledMicros, 700 * kDollar);
  EXPECT_EQ(cash(*firm_, "gus").tradeDateMicros, 700 * kDollar);
}

TEST_F(BooksTest, SettlementMovesTradeCashOnceAtTPlusOne) {
  openAccount("grace", 10'000 * kDollar);
  fill("grace", "ACME", idl::Side::BUY, 10, 100 * kDollar, nanosAt(2024, 3, 4));
  fill("grace", "ACME", idl::Side::SELL, 5, 100 * kDollar, nanosAt(2024, 3, 5));
  auto linesFor = [](const SettlementRun& run) {
    std::vector<SettlementLine> lines;
    for (const SettlementLine& line : run.lines) {
      if (line.account == "grace") lines.push_back(line);
    }
    return lines;
  };

  Result<SettlementRun> early = books_->settle(20240303);
  ASSERT_OK(early);
  EXPECT_TRUE(linesFor(early.value()).empty());

  Result<SettlementRun> first = books_->settle(20240304);
  ASSERT_OK(first);
  ASSERT_EQ(linesFor(first.value()).size(), 1u);
  EXPECT_EQ(linesFor(first.value())[0].amountMicros, -1'000 * kDollar);
  EXPECT_EQ(linesFor(first.value())[0].tradeDate, 20240304);
  CashBalance after = cash(*firm_, "grace");
  EXPECT_EQ(after.settledMicros, 9'000 * kDollar);
  EXPECT_EQ(after.tradeDateMicros, 9'500 * kDollar);

  Result<SettlementRun> second = books_->settle(20240304);
  ASSERT_OK(second);
  EXPECT_TRUE(second.value().lines.empty()) << "a second run moves nothing";
  EXPECT_EQ(cash(*firm_, "grace").settledMicros, 9'000 * kDollar);

  Result<SettlementRun> next = books_->settle(20240305);
  ASSERT_OK(next);
  ASSERT_EQ(linesFor(next.value()).size(), 1u);
  EXPECT_EQ(linesFor(next.value())[0].amountMicros, 500 * kDollar);
  EXPECT_EQ(cash(*firm_, "grace").settledMicros, 9'500 * kDollar);
}

TEST_F(BooksTest, VerifyCatchesACorruptedLedger) {
  openAccount("heidi", 100 * kDollar);
  ASSERT_OK(books_->verify(streets()));
  EXPECT_TRUE(books_->verify(streets()).value().clean());

  // A posting written behind the books' back: one-sided, on heidi's cash.
  const std::string badId = "corrupt-000000001";
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    capnp::MallocMessageBuilder message;
    auto posting = message.initRoot<idl::Posting>();
    posting.setId(badId);
    posting.setKind(idl::Posting::Kind::DEPOSIT);
    posting.setTradeDate(20240304);
    auto leg = posting.initLegs(1)[0];
    leg.setAccount("heidi");
    leg.setAsset("USD");
    leg.setAmount(1 * kDollar);
    return tables::kPostings.put(txn, bdb::Key::of(badId), message);
  }));
  Result<VerifyReport> report = books_->verify(streets());
  ASSERT_OK(report);
  EXPECT_EQ(report.value().count(Finding::Kind::kLedgerImbalance), 1u) << report.value().toString();
  EXPECT_EQ(report.value().count(Finding::Kind::kPostingImbalance), 1u);
  EXPECT_EQ(report.value().count(Finding::Kind::kBalanceMismatch), 2u)  // trade-date and settled
      << report.value().toString();
  EXPECT_NE(report.value().toString().find("heidi"), std::string::npos);

  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    return txn.remove(tables::kPostings.name(), bdb::Key::of(badId));
  }));
  EXPECT_TRUE(books_->verify(streets()).value().clean());

  // An execution the street recorded but the firm has not booked.
  auto unbooked = recordFill("heidi", "ACME", idl::Side::BUY, 1, 10 * kDollar);
  report = books_->verify(streets());
  ASSERT_OK(report);
  ASSERT_EQ(report.value().count(Finding::Kind::kUnbooked), 1u) << report.value().toString();
  EXPECT_EQ(report.value().findings.size(), 1u);
  ASSERT_OK(books_->bookExecution(unbooked->reader()));

  // A deposit reference that no longer matches its posting.
  ASSERT_OK(books_->deposit("heidi", "USD", 5 * kDollar, "heidi-ref-1"));
  bdb::Record<idl::CashReference> stored;
  ASSERT_STATUS_OK(tables::kCashReferences.get(*firm_, bdb::Key::of("heidi-ref-1"), &stored));
  capnp::MallocMessageBuilder edited;
  edited.setRoot(stored.reader());
  edited.getRoot<idl::CashReference>().setAmountMicros(6 * kDollar);
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    return tables::kCashReferences.put(txn, bdb::Key::of("heidi-ref-1"), edited);
  }));
  report = books_->verify(streets());
  ASSERT_OK(report);
  ASSERT_EQ(report.value().count(Finding::Kind::kReferenceMismatch), 1u)
      << report.value().toString();
  EXPECT_NE(report.value().toString().find("reference 'heidi-ref-1' says posting"),
            std::string::npos)
      << report.value().toString();
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    return tables::kCashReferences.put(txn, bdb::Key::of("heidi-ref-1"), stored.reader());
  }));
}

TEST_F(BooksTest, ABookingIsOneRecordHoldingTheWholePosting) {
  openAccount("hank", 1'000 * kDollar);
  auto recorded = recordFill("hank", "ACME", idl::Side::BUY, 4, 25 * kDollar);
  Result<BookingOutcome> booked = books_->bookExecution(recorded->reader());
  ASSERT_OK(booked);

  // Keyed by the execution id: booked exactly once is one point read.
  bdb::Record<idl::Posting> booking;
  ASSERT_STATUS_OK(
      tables::kBookings.get(*firm_, bdb::Key::of(recorded->reader().getId().cStr()), &booking));
  EXPECT_EQ(std::string(booking->getId().cStr()), booked.value().postingId);
  EXPECT_EQ(booking->getKind(), idl::Posting::Kind::TRADE);
  EXPECT_EQ(booking->getTradeDate(), 20240304);
  std::map<std::pair<std::string, std::string>, int64_t> legs;
  for (idl::Posting::Leg::Reader leg : booking->getLegs()) {
    legs[{leg.getAccount().cStr(), leg.getAsset().cStr()}] += leg.getAmount();
  }
  const std::map<std::pair<std::string, std::string>, int64_t> expected = {
      {{"hank", "USD"}, -100 * kDollar},
      {{"hank", "ACME"}, 4},
      {{std::string(kStreetBook), "USD"}, 100 * kDollar},
      {{std::string(kStreetBook), "ACME"}, -4}};
  EXPECT_EQ(legs, expected);

  // The street book's side is in the postings only: no balance or position
  // record is rewritten for it by every booking.
  bdb::Record<idl::Balance> balance;
  EXPECT_TRUE(tables::kBalances.get(*firm_, balanceKey(kStreetBook, "USD"), &balance).isNotFound());
  bdb::Record<idl::Position> position;
  EXPECT_TRUE(
      tables::kPositions.get(*firm_, positionKey(kStreetBook, "ACME"), &position).isNotFound());
}

TEST_F(BooksTest, AnAssetIsCashOrSharesNeverBoth) {
  openAccount("iris", 1'000 * kDollar);
  // EUR traded as a symbol first: it can no longer be cash.
  fill("iris", "EUR", idl::Side::BUY, 1, 1 * kDollar);
  Result<CashPosting> refused = books_->deposit("iris", "EUR", kDollar);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().reason, "currency EUR is a traded symbol");
  capnp::MallocMessageBuilder limits;
  EXPECT_EQ(books_
                ->createAccount("iris2", "Iris", "pw", "EUR",
                                limits.initRoot<idl::RiskLimits>().asReader())
                .error()
                .reason,
            "currency EUR is a traded symbol");

  // USD is in use as cash: an execution of the symbol USD is refused.
  auto usd = recordFill("iris", "ACME", idl::Side::BUY, 1, kDollar);
  capnp::MallocMessageBuilder message;
  message.setRoot(usd->reader());
  auto execution = message.getRoot<idl::Execution>();
  execution.setId("ss1-usd-as-symbol");
  execution.setSymbol("USD");
  execution.setCurrency("CHF");
  Result<BookingOutcome> outcome = books_->bookExecution(execution.asReader());
  ASSERT_FALSE(outcome.isOk());
  EXPECT_EQ(outcome.error().reason, "symbol USD is a currency in the books");
  ASSERT_OK(books_->bookExecution(usd->reader()));  // the street's record, booked
}

TEST_F(BooksTest, VerifyFindsPostingsOutOfPlace) {
  openAccount("jack", 100 * kDollar);
  auto recorded = recordFill("jack", "ACME", idl::Side::BUY, 1, 10 * kDollar);
  ASSERT_OK(books_->bookExecution(recorded->reader()));
  const bdb::Key key = bdb::Key::of(recorded->reader().getId().cStr());
  bdb::Record<idl::Posting> booking;
  ASSERT_STATUS_OK(tables::kBookings.get(*firm_, key, &booking));

  // The trade moved out of the bookings, into the other postings.
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    bdb::Status s = txn.remove(tables::kBookings.name(), key);
    if (!s.isOk()) return s;
    return tables::kPostings.put(txn, bdb::Key::of(booking->getId().cStr()), booking.reader());
  }));
  Result<VerifyReport> report = books_->verify(streets());
  ASSERT_OK(report);
  EXPECT_EQ(report.value().count(Finding::Kind::kBookingMismatch), 1u) << report.value().toString();
  EXPECT_EQ(report.value().count(Finding::Kind::kUnbooked), 1u) << report.value().toString();

  // Kept twice: as the booking and among the other postings.
  ASSERT_STATUS_OK(firm_->write(
      [&](bdb::WriteTxn& txn) { return tables::kBookings.put(txn, key, booking.reader()); }));
  report = books_->verify(streets());
  ASSERT_OK(report);
  EXPECT_EQ(report.value().count(Finding::Kind::kMalformed), 1u) << report.value().toString();
  EXPECT_NE(report.value().toString().find("is kept twice"), std::string::npos);

  // A balance record for a firm book: the books never write one.
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    bdb::Status s = txn.remove(tables::kPostings.name(), bdb::Key::of(booking->getId().cStr()));
    if (!s.isOk()) return s;
    capnp::MallocMessageBuilder message;
    auto balance = message.initRoot<idl::Balance>();
    balance.setAccount(std::string(kStreetBook));
    balance.setCurrency("USD");
    return tables::kBalances.put(txn, balanceKey(kStreetBook, "USD"), message);
  }));
  report = books_->verify(streets());
  ASSERT_OK(report);
  ASSERT_EQ(report.value().findings.size(), 1u) << report.value().toString();
  EXPECT_EQ(report.value().count(Finding::Kind::kMalformed), 1u) << report.value().toString();
  ASSERT_STATUS_OK(firm_->write([&](bdb::WriteTxn& txn) {
    return txn.remove(tables::kBalances.name(), balanceKey(kStreetBook, "USD"));
  }));
}

TEST_F(BooksTest, AuthenticationAcceptsTheRightSecretOnly) {
  openAccount("ivan", 0, "correct horse battery staple");
  ASSERT_OK(authenticate(*firm_, "ivan", "correct horse battery staple"));

  Result<> wrong = authenticate(*firm_, "ivan", "Correct horse battery staple");
  ASSERT_FALSE(wrong.isOk());
  EXPECT_EQ(wrong.error().code, idl::ErrorCode::UNAUTHENTICATED);
  Result<> unknown = authenticate(*firm_, "nobody", "correct horse battery staple");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.error().code, idl::ErrorCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error().reason, wrong.error().reason) << "must not tell which accounts exist";

  // Only the Argon2id hash is stored.
  bdb::Record<idl::Account> account;
  ASSERT_STATUS_OK(tables::kAccounts.get(*firm_, bdb::Key::of("ivan"), &account));
  const std::string hash = account->getSecretHash().cStr();
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("battery"), std::string::npos);

  capnp::MallocMessageBuilder limits;
  Result<> duplicate = books_->createAccount("ivan", "Ivan again", "x", "USD",
                                             limits.initRoot<idl::RiskLimits>().asReader());
  ASSERT_FALSE(duplicate.isOk());
  EXPECT_EQ(duplicate.error().code, idl::ErrorCode::DUPLICATE);
  EXPECT_EQ(books_
                ->createAccount("firm:bank", "Sneaky", "x", "USD",
                                limits.getRoot<idl::RiskLimits>().asReader())
                .error()
                .code,
            idl::ErrorCode::INVALID_ARGUMENT);

  // A customer utility authenticates against its replica.
  ASSERT_TRUE(replica_->waitForCommit(firm_->commitPosition().sequence, 20s));
  ASSERT_OK(authenticate(*replica_, "ivan", "correct horse battery staple"));
  EXPECT_FALSE(authenticate(*replica_, "ivan", "wrong").isOk());
}

TEST_F(BooksTest, ReplicaReadsTheSameBalancesOnceReplicated) {
  openAccount("judy", 5'000 * kDollar);
  fill("judy", "ACME", idl::Side::BUY, 20, 25 * kDollar);
  fill("judy", "WIDG", idl::Side::BUY, 10, 12 * kDollar);
  fill("judy", "ACME", idl::Side::SELL, 5, 30 * kDollar);

  ASSERT_TRUE(replica_->waitForCommit(firm_->commitPosition().sequence, 20s));
  const CashBalance owner = cash(*firm_, "judy");
  const CashBalance replica = cash(*replica_, "judy");
  EXPECT_EQ(replica.tradeDateMicros, owner.tradeDateMicros);
  EXPECT_EQ(replica.settledMicros, owner.settledMicros);
  EXPECT_EQ(owner.tradeDateMicros, (5'000 - 500 - 120 + 150) * kDollar);

  Result<std::vector<PositionSummary>> ownerPositions = positionsOf(*firm_, "judy");
  Result<std::vector<PositionSummary>> replicaPositions = positionsOf(*replica_, "judy");
  ASSERT_OK(ownerPositions);
  ASSERT_OK(replicaPositions);
  ASSERT_EQ(replicaPositions.value().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(replicaPositions.value()[i].symbol, ownerPositions.value()[i].symbol);
    EXPECT_EQ(replicaPositions.value()[i].quantity, ownerPositions.value()[i].quantity);
    EXPECT_EQ(replicaPositions.value()[i].realisedPnlMicros,
              ownerPositions.value()[i].realisedPnlMicros);
  }
  EXPECT_EQ(replicaPositions.value()[0].realisedPnlMicros, 25 * kDollar);

  // The replica's copy of the books passes the same checks.
  Result<VerifyReport> report = verifyBooks(*replica_, streets());
  ASSERT_OK(report);
  EXPECT_TRUE(report.value().clean()) << report.value().toString();
  EXPECT_GT(report.value().legs, 0u);

  // Neither site knows an account that does not exist.
  EXPECT_EQ(balanceOf(*replica_, "nobody", "USD").error().code, idl::ErrorCode::NOT_FOUND);
}

TEST_F(BooksTest, ConcurrentFillsOfOneAccountAreAllBooked) {
  openAccount("kate", 100'000 * kDollar);
  constexpr int kThreads = 6;
  constexpr int kFillsEach = 8;
  std::vector<std::unique_ptr<Fill>> fills;
  for (int i = 0; i < kThreads * kFillsEach; ++i) {
    fills.push_back(recordFill("kate", "ACME", idl::Side::BUY, 1, 10 * kDollar));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kFillsEach; ++i) {
        Result<BookingOutcome> outcome = books_->bookExecution(fills[t * kFillsEach + i]->reader());
        EXPECT_TRUE(outcome.isOk()) << outcome.toString();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(position(*firm_, "kate", "ACME").quantity, kThreads * kFillsEach);
  EXPECT_EQ(cash(*firm_, "kate").tradeDateMicros, (100'000 - 10 * kThreads * kFillsEach) * kDollar);
}

TEST_F(BooksTest, RefusesExecutionsItCannotBook) {
  auto unknown = recordFill("nobody", "ACME", idl::Side::BUY, 1, 10 * kDollar);
  Result<BookingOutcome> refused = books_->bookExecution(unknown->reader());
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().code, idl::ErrorCode::NOT_FOUND);
  // Remove it from the street group so the suite's verify stays clean.
  ASSERT_STATUS_OK(street_->write([&](bdb::WriteTxn& txn) {
    return txn.remove(tables::kExecutions.name(), executionKey(unknown->reader()));
  }));

  openAccount("leo", 0);
  capnp::MallocMessageBuilder message;
  auto execution = message.initRoot<idl::Execution>();
  execution.setId("ss1-bad");
  execution.setAccount("leo");
  execution.setSymbol("USD");  // a currency traded as a symbol
  execution.setCurrency("USD");
  execution.setQuantity(1);
  execution.setPriceMicros(kDollar);
  execution.setExecutedAtNanos(nanosAt(2024, 3, 4));
  EXPECT_EQ(books_->bookExecution(execution.asReader()).error().code,
            idl::ErrorCode::INVALID_ARGUMENT);
  execution.setSymbol("ACME");
  execution.setQuantity(0);
  EXPECT_EQ(books_->bookExecution(execution.asReader()).error().code,
            idl::ErrorCode::INVALID_ARGUMENT);
}

TEST_F(BooksTest, HaltsRoutesAndLimits) {
  ASSERT_OK(books_->halt("ACME", "pending news"));
  bdb::Record<idl::Halt> halt;
  ASSERT_STATUS_OK(tables::kHalts.get(*firm_, bdb::Key::of("ACME"), &halt));
  EXPECT_TRUE(halt->getHalted());
  EXPECT_EQ(std::string(halt->getReason().cStr()), "pending news");
  ASSERT_OK(books_->resume("ACME", "news out"));
  ASSERT_STATUS_OK(tables::kHalts.get(*firm_, bdb::Key::of("ACME"), &halt));
  EXPECT_FALSE(halt->getHalted());
  EXPECT_FALSE(books_->halt("ACME", "").isOk()) << "a halt needs a reason";

  capnp::MallocMessageBuilder routeMessage;
  auto route = routeMessage.initRoot<idl::VenueRoute>();
  route.setSymbol("*");
  route.setStreet("ss1");
  route.setVenue("XTST");
  route.setCurrency("USD");
  route.setLastPriceMicros(10 * kDollar);
  ASSERT_OK(books_->setRoute(route.asReader()));
  bdb::Record<idl::VenueRoute> stored;
  ASSERT_STATUS_OK(tables::kVenueRoutes.get(*firm_, bdb::Key::of("*"), &stored));
  EXPECT_EQ(std::string(stored->getVenue().cStr()), "XTST");

  openAccount("mallory", 0);
  capnp::MallocMessageBuilder limitsMessage;
  auto limits = limitsMessage.initRoot<idl::RiskLimits>();
  limits.setMaxPosition(500);
  limits.initAllowedSymbols(1).set(0, "ACME");
  ASSERT_OK(books_->setLimits("mallory", limits.asReader()));
  bdb::Record<idl::Account> account;
  ASSERT_STATUS_OK(tables::kAccounts.get(*firm_, bdb::Key::of("mallory"), &account));
  EXPECT_EQ(account->getLimits().getMaxPosition(), 500);
  EXPECT_EQ(account->getLimits().getAllowedSymbols().size(), 1u);
  EXPECT_TRUE(authenticate(*firm_, "mallory", "pw").isOk()) << "the secret survives new limits";
  EXPECT_EQ(books_->setLimits("nobody", limits.asReader()).error().code, idl::ErrorCode::NOT_FOUND);
}

}  // namespace
}  // namespace triad::firm

namespace triad::firm {
namespace {

// Issue 16: what a street could not record, and a route its venue never
// answered, keep verify from being clean until they are resolved.
TEST_F(BooksTest, VerifyReportsAStreetsRefusedReportsAndUnansweredRoutes) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto write = [&](auto table, const bdb::Key& key, capnp::MessageBuilder& message) {
    ASSERT_TRUE(
        street_->write([&](bdb::WriteTxn& txn) { return table.put(txn, key, message); }).isOk());
  };
  auto remove = [&](std::string_view table, const bdb::Key& key) {
    ASSERT_TRUE(street_->write([&](bdb::WriteTxn& txn) { return txn.remove(table, key); }).isOk());
  };
  capnp::MallocMessageBuilder overfill;
  auto refused = overfill.initRoot<idl::RefusedReport>();
  refused.setId("ss1-refused-1");
  refused.setVenue("XTST");
  refused.setVenueExecId("E-7");
  refused.setClOrdId("cf1-over");
  refused.setOrderId("cf1-over");
  refused.setReason(idl::RefusedReport::Reason::OVERFILL);
  refused.setQuantity(5);
  refused.setPriceMicros(10 * kDollar);
  refused.setDetail("overfill: a fill of 5 would make 105 filled of 100 ordered");
  const bdb::Key refusedKey = tables::refusedReportKey("XTST", "", "E-7", "cf1-over");
  write(tables::kRefusedReports, refusedKey, overfill);

  capnp::MallocMessageBuilder silent, answered;
  auto route = silent.initRoot<idl::Route>();
  route.setOrderId("cf1-silent");
  route.setVenue("XTST");
  route.setRoutedAtNanos(now - 2 * kRouteAnswerLimitNanos);
  write(tables::kRoutes, bdb::Key::of("cf1-silent"), silent);
  auto acknowledged = answered.initRoot<idl::Route>();
  acknowledged.setOrderId("cf1-acked");
  acknowledged.setVenue("XTST");
  acknowledged.setRoutedAtNanos(now - 2 * kRouteAnswerLimitNanos);
  acknowledged.setAcknowledgedAtNanos(now - kRouteAnswerLimitNanos);
  write(tables::kRoutes, bdb::Key::of("cf1-acked"), answered);

  Result<VerifyReport> report = books_->verify(streets());
  ASSERT_TRUE(report.isOk()) << report.toString();
  EXPECT_EQ(report.value().count(Finding::Kind::kOverfill), 1u) << report.value().toString();
  EXPECT_EQ(report.value().count(Finding::Kind::kRouteUnanswered), 1u) << report.value().toString();
  EXPECT_EQ(report.value().findings.size(), 2u) << report.value().toString();
  EXPECT_NE(report.value().toString().find("order cf1-silent routed by"), std::string::npos)
      << report.value().toString();
  EXPECT_NE(report.value().toString().find("E-7"), std::string::npos);

  // Resolved: the report removed by an operator, the route answered.
  remove(tables::kRefusedReports.name(), refusedKey);
  acknowledged.setOrderId("cf1-silent");
  write(tables::kRoutes, bdb::Key::of("cf1-silent"), answered);
  report = books_->verify(streets());
  ASSERT_TRUE(report.isOk());
  EXPECT_TRUE(report.value().clean()) << report.value().toString();
  remove(tables::kRoutes.name(), bdb::Key::of("cf1-silent"));
  remove(tables::kRoutes.name(), bdb::Key::of("cf1-acked"));
}

// Issue 17: an operator's write recorded with its audit entry in the same
// transaction; verify, as the firm's Admin asks for it, finds a posting made
// around Admin (by hand, with no entry).
TEST_F(BooksTest, VerifyFindsAnOperatorsPostingWithoutItsAuditEntry) {
  openAccount("olga", 0);
  auto unaudited = [&](bool requireAudit) -> size_t {
    Result<VerifyReport> report = books_->verify(streets(), requireAudit);
    EXPECT_TRUE(report.isOk()) << report.toString();
    return report.isOk() ? report.value().count(Finding::Kind::kUnaudited) : 0;
  };
  const size_t before = unaudited(true);

  common::AuditStamp stamp;
  stamp.operatorName = "tess";
  stamp.call = "deposit";
  stamp.account = "olga";
  Result<CashPosting> audited = books_->deposit("olga", "USD", 10 * kDollar, {}, &stamp);
  ASSERT_OK(audited);
  EXPECT_FALSE(stamp.id.empty());
  EXPECT_EQ(stamp.postingId, audited.value().postingId);
  EXPECT_EQ(unaudited(true), before);

  common::AuditStamp halt;
  halt.operatorName = "omar";
  halt.call = "halt";
  ASSERT_OK(books_->halt("OLGA", "pending news", &halt));
  EXPECT_EQ(unaudited(true), before);

  // Around Admin: a posting with no entry.
  ASSERT_OK(books_->deposit("olga", "USD", 5 * kDollar));
  EXPECT_EQ(unaudited(true), before + 1);
  EXPECT_EQ(unaudited(false), 0u) << "Books used alone need no audit";

  // A refused write's entry stands alone, and names its refusal.
  common::AuditStamp refused;
  refused.operatorName = "tess";
  refused.call = "withdraw";
  Result<CashPosting> overdraft = books_->withdraw("olga", "USD", 1'000 * kDollar, {}, &refused);
  ASSERT_FALSE(overdraft.isOk());
  EXPECT_TRUE(refused.id.empty()) << "a refused write records nothing";
  ASSERT_OK(books_->recordRefusal(refused, overdraft.error()));
  EXPECT_FALSE(refused.id.empty());
}

}  // namespace
}  // namespace triad::firm
