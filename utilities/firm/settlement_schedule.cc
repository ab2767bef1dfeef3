#include "utilities/firm/settlement_schedule.h"

#include <algorithm>

namespace triad::firm {
namespace {

namespace po = boost::program_options;

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 24 * 60 * kNanosPerMinute;
// The longest single sleep: a clock that jumps (or a test's clock) is
// noticed within it.
constexpr int64_t kLongestSleepNanos = kNanosPerSecond;

int64_t systemNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const SettlementSchedule& requireEnabled(const SettlementSchedule& schedule) {
  KJ_REQUIRE(schedule.options().enabled(), "no settlement schedule");
  return schedule;
}

int64_t startOfDay(int64_t nanos) {
  int64_t day = nanos / kNanosPerDay;
  if (nanos % kNanosPerDay < 0) --day;  // before 1970: floor, not truncate
  return day * kNanosPerDay;
}

}  // namespace

std::optional<int> parseTimeOfDay(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

void addSettlementOptions(po::options_description& options) {
  options.add_options()  //
      ("settle-at", po::value<std::string>()->default_value("06:00")->notifier([](const auto& v) {
        if (v != "off" && !parseTimeOfDay(v)) {
          throw po::validation_error(po::validation_error::invalid_option_value, "settle-at", v);
        }
      }),
       "settle daily at this UTC time, HH:MM, or \"off\"")  //
      ("settle-every", po::value<int64_t>()->default_value(0)->notifier([](int64_t v) {
        if (v < 0) {
          throw po::validation_error(po::validation_error::invalid_option_value, "settle-every",
                                     std::to_string(v));
        }
      }),
       "settle every this many seconds instead of daily (0: daily)")  //
      ("settlement-days", po::value<int>()->default_value(1)->notifier([](int v) {
        if (v < 0 || v > 30) {
          throw po::validation_error(po::validation_error::invalid_option_value, "settlement-days",
                                     std::to_string(v));
        }
      }),
       "trades settle T+N calendar days after their trade date");
}

SettlementScheduleOptions settlementOptionsFrom(const po::variables_map& vm) {
  SettlementScheduleOptions options;
  const std::string at = vm["settle-at"].as<std::string>();
  options.dailyAtMinute = at == "off" ? std::nullopt : parseTimeOfDay(at);
  options.everySeconds = vm["settle-every"].as<int64_t>();
  options.settlementDays = vm["settlement-days"].as<int>();
  return options;
}

int64_t SettlementSchedule::nextRunAfter(int64_t nowNanos) const {
  KJ_REQUIRE(options_.enabled(), "no settlement schedule");
  if (options_.everySeconds > 0) return nowNanos + options_.everySeconds * kNanosPerSecond;
  int64_t at = startOfDay(nowNanos) + *options_.dailyAtMinute * kNanosPerMinute;
  if (at <= nowNanos) at += kNanosPerDay;
  return at;
}

int64_t SettlementSchedule::runAtStart(int64_t nowNanos) const {
  KJ_REQUIRE(options_.enabled(), "no settlement schedule");
  if (options_.everySeconds > 0) return nowNanos;
  int64_t at = startOfDay(nowNanos) + *options_.dailyAtMinute * kNanosPerMinute;
  if (at > nowNanos) at -= kNanosPerDay;
  return at;
}

int32_t SettlementSchedule::throughFor(int64_t runNanos) const {
  return tradeDateOf(runNanos - options_.settlementDays * kNanosPerDay);
}

ScheduledSettlement::ScheduledSettlement(Books& books, SettlementSchedule schedule,
                                         base::Logger& logger, std::function<int64_t()> nowNanos)
    : books_(books),
      schedule_(requireEnabled(schedule)),
      logger_(logger),
      nowNanos_(nowNanos ? std::move(nowNanos) : systemNanos),
      thread_([this] { run(); }) {}

ScheduledSettlement::~ScheduledSettlement() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool ScheduledSettlement::sleepUntil(int64_t atNanos) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return false;
    const int64_t remaining = atNanos - nowNanos_();
    if (remaining <= 0) return true;
    wake_.wait_for(lock, std::chrono::nanoseconds(std::min(remaining, kLongestSleepNanos)));
  }
}

void ScheduledSettlement::run() {
  int32_t through = schedule_.throughFor(schedule_.runAtStart(nowNanos_()));
  for (;;) {
    // The daemon's own write: recorded in the audit trail as the schedule's.
    common::AuditStamp audit;
    audit.operatorName = "system:settlement-schedule";
    audit.call = "settle";
    audit.arguments = "(throughTradeDate = " + std::to_string(through) + ")";
    audit.detail = "settle through " + std::to_string(through);
    Result<SettlementRun> settled = books_.settle(through, &audit);
    int64_t next;
    if (settled.isOk()) {
      const size_t lines = settled.value().lines.size();
      if (lines > 0) {
        logger_.info("settlement-run", {{"through", through}, {"settlements", lines}});
      } else {
        logger_.debug("settlement-run", {{"through", through}, {"settlements", 0}});
      }
      next = schedule_.nextRunAfter(nowNanos_());
      through = schedule_.throughFor(next);
    } else {
      logger_.warning("settlement-run-failed", {{"through", through},
                                                {"reason", settled.toString()},
                                                {"retry-in-s", kRetryAfterFailure.count()}});
      next = nowNanos_() + kRetryAfterFailure.count() * kNanosPerSecond;
    }
    if (!sleepUntil(next)) return;
  }
}

}  // namespace triad::firm
