// The settlement schedule: when runs fall and what each settles through, the
// options that give it, and ScheduledSettlement settling real books (a
// one-site firm group, no replica) on a test clock.

#include "utilities/firm/settlement_schedule.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bdb/test_sites.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "utilities/common/group_schema.h"
#include "utilities/common/tables.h"

namespace triad::firm {
namespace {

using namespace std::chrono_literals;
namespace po = boost::program_options;

constexpr int64_t kDollar = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

int64_t nanosAt(int year, unsigned month, unsigned day, int hour, int minute = 0) {
  using namespace std::chrono;
  const sys_days date =
      year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  return duration_cast<nanoseconds>((date + hours{hour} + minutes{minute}).time_since_epoch())
      .count();
}

TEST(SettlementScheduleTest, ParsesTimesOfDay) {
  EXPECT_EQ(parseTimeOfDay("06:00"), 360);
  EXPECT_EQ(parseTimeOfDay("00:00"), 0);
  EXPECT_EQ(parseTimeOfDay("23:59"), 23 * 60 + 59);
  for (const char* bad : {"24:00", "6:00", "06:60", "0600", "06:0x", ""}) {
    EXPECT_EQ(parseTimeOfDay(bad), std::nullopt) << bad;
  }
}

TEST(SettlementScheduleTest, DailyRunsFallAtTheTimeAndSettleThroughTheDayBefore) {
  const SettlementSchedule schedule({.dailyAtMinute = 6 * 60});
  // Before 06:00: today's run is next; the one to make up at start is yesterday's.
  EXPECT_EQ(schedule.nextRunAfter(nanosAt(2024, 3, 5, 5, 59)), nanosAt(2024, 3, 5, 6));
  EXPECT_EQ(schedule.runAtStart(nanosAt(2024, 3, 5, 5, 59)), nanosAt(2024, 3, 4, 6));
  // At or after 06:00: tomorrow's is next; today's is made up.
  EXPECT_EQ(schedule.nextRunAfter(nanosAt(2024, 3, 5, 6)), nanosAt(2024, 3, 6, 6));
  EXPECT_EQ(schedule.runAtStart(nanosAt(2024, 3, 5, 6)), nanosAt(2024, 3, 5, 6));
  EXPECT_EQ(schedule.runAtStart(nanosAt(2024, 3, 5, 23)), nanosAt(2024, 3, 5, 6));
  // T+1, across a month end.
  EXPECT_EQ(schedule.throughFor(nanosAt(2024, 3, 5, 6)), 20240304);
  EXPECT_EQ(schedule.throughFor(nanosAt(2024, 3, 1, 6)), 20240229);
}

TEST(SettlementScheduleTest, IntervalRunsAndSameDaySettlement) {
  const SettlementSchedule schedule(
      {.dailyAtMinute = std::nullopt, .everySeconds = 5, .settlementDays = 0});
  const int64_t now = nanosAt(2024, 3, 5, 12);
  EXPECT_EQ(schedule.runAtStart(now), now);
  EXPECT_EQ(schedule.nextRunAfter(now), now + 5 * kSecond);
  EXPECT_EQ(schedule.throughFor(now), 20240305);
  EXPECT_FALSE(SettlementSchedule({.dailyAtMinute = std::nullopt}).options().enabled());
}

std::variant<SettlementScheduleOptions, std::string> parse(std::vector<const char*> args) {
  po::options_description described;
  addSettlementOptions(described);
  args.insert(args.begin(), "triad-firmd");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(static_cast<int>(args.size()), args.data(), described), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return std::string(e.what());
  }
  return settlementOptionsFrom(vm);
}

TEST(SettlementScheduleTest, OptionsDefaultToDailyAtSixAndRefuseNonsense) {
  auto defaults = std::get<SettlementScheduleOptions>(parse({}));
  EXPECT_EQ(defaults.dailyAtMinute, 360);
  EXPECT_EQ(defaults.everySeconds, 0);
  EXPECT_EQ(defaults.settlementDays, 1);
  auto off = std::get<SettlementScheduleOptions>(parse({"--settle-at", "off"}));
  EXPECT_FALSE(off.enabled());
  auto every =
      std::get<SettlementScheduleOptions>(parse({"--settle-every", "2", "--settlement-days", "0"}));
  EXPECT_EQ(every.everySeconds, 2);
  EXPECT_EQ(every.settlementDays, 0);
  EXPECT_TRUE(std::holds_alternative<std::string>(parse({"--settle-at", "25:00"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse({"--settle-every", "-1"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse({"--settlement-days", "-1"})));
}

// ScheduledSettlement over real books: a buy on 4 March settles at the first
// 06:00 run after it, once, however many runs follow.
TEST(ScheduledSettlementTest, SettlesWhatIsDueAtEachRunAndNothingTwice) {
  testing::TempDir dir;
  bdb::testing::TestSites sites({"firm"});
  std::unique_ptr<bdb::ReplicationTransport> transport = sites.open("firm");
  bdb::GroupOptions options = sites.groupOptions("firm", *transport, dir / "firm");
  options.tables = common::tableSpecs(topology::Role::kFirm);
  options.ackPolicy = bdb::AckPolicy::kNone;
  std::unique_ptr<bdb::OwnershipGroup> group;
  bdb::Status s = bdb::OwnershipGroup::open(options, &group);
  ASSERT_TRUE(s.isOk()) << s.toString();

  std::atomic<int64_t> now{nanosAt(2024, 3, 4, 12)};
  BooksOptions booksOptions;
  booksOptions.nowNanos = [&] { return now.load(); };
  booksOptions.passwordOpsLimit = 1;
  booksOptions.passwordMemLimit = 8192;
  Result<std::unique_ptr<Books>> opened = Books::open(*group, booksOptions);
  ASSERT_TRUE(opened.isOk()) << opened.toString();
  std::unique_ptr<Books> books = std::move(opened).value();

  capnp::MallocMessageBuilder limits;
  ASSERT_TRUE(books
                  ->createAccount("ivan", "Ivan", "pw", "USD",
                                  limits.initRoot<idl::RiskLimits>().asReader())
                  .isOk());
  ASSERT_TRUE(books->deposit("ivan", "USD", 1'000 * kDollar).isOk());
  capnp::MallocMessageBuilder message;
  auto execution = message.initRoot<idl::Execution>();
  execution.setId("ss1-000000001");
  execution.setOrderId("cf1-000000001");
  execution.setAccount("ivan");
  execution.setSymbol("ACME");
  execution.setSide(idl::Side::BUY);
  execution.setQuantity(2);
  execution.setPriceMicros(100 * kDollar);
  execution.setCurrency("USD");
  execution.setExecutedAtNanos(nanosAt(2024, 3, 4, 15));
  ASSERT_TRUE(books->bookExecution(execution.asReader()).isOk());

  auto settled = [&] {
    Result<CashBalance> cash = balanceOf(*group, "ivan", "USD");
    EXPECT_TRUE(cash.isOk()) << cash.toString();
    return cash.isOk() ? cash.value().settledMicros : -1;
  };
  auto eventually = [&](int64_t micros) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (settled() != micros && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return settled();
  };

  base::Logger logger("triad-firmd", "firm", {.sink = [](std::string_view) {}});
  {
    ScheduledSettlement scheduled(*books, SettlementSchedule({}), logger,
                                  [&] { return now.load(); });
    // The run made up at start (4 March 06:00) settles through 3 March: nothing.
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(settled(), 1'000 * kDollar);
    // 5 March 06:00: the 4 March buy settles.
    now = nanosAt(2024, 3, 5, 6);
    EXPECT_EQ(eventually(800 * kDollar), 800 * kDollar);
    now = nanosAt(2024, 3, 6, 6);
    std::this_thread::sleep_for(200ms);
  }
  // Restarted: the made-up run finds nothing left to move.
  {
    ScheduledSettlement again(*books, SettlementSchedule({}), logger, [&] { return now.load(); });
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(settled(), 800 * kDollar);
  Result<VerifyReport> report = books->verify();
  ASSERT_TRUE(report.isOk()) << report.toString();
  EXPECT_TRUE(report.value().clean()) << report.value().toString();
}

}  // namespace
}  // namespace triad::firm
