// When triad-firmd settles by itself (issue 5, item 4): Books::settle on a
// schedule, besides the operator's Admin settle.
//
//   --settle-at HH:MM      daily, at that UTC time (default 06:00; "off": never)
//   --settle-every SECONDS every that many seconds instead (0: use --settle-at)
//   --settlement-days N    trades settle T+N calendar days (default 1)
//
// A run at time t settles every trade dated on or before date(t) - N days not
// yet settled: Books::settle(through) covers every earlier date too, so a day
// the daemon was down is caught up by the next run. At start the schedule also
// makes up the last daily run it missed (through the date of the latest HH:MM
// already past), never more: cash is not settled before the time the operator
// chose. Runs are idempotent (Books::settle moves nothing twice), so making
// up a run that did happen moves nothing.
//
// A run that fails (no replica acknowledged, storage busy) is retried after
// kRetryAfterFailure with the same trade date, until it succeeds; a
// NotReplicated answer may mean the settlement committed here, and the retry
// then finds nothing left to move.
//
// SettlementSchedule is the arithmetic (no clock, no thread); ScheduledSettlement
// runs it on a thread of its own, so that a long settlement never holds up the
// event loop or the booking of executions.

#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/log.h"
#include "utilities/firm/books.h"

namespace triad::firm {

struct SettlementScheduleOptions {
  std::optional<int> dailyAtMinute = 6 * 60;  // minutes after 00:00 UTC; nullopt: no daily run
  int64_t everySeconds = 0;                   // > 0: this interval instead of the daily run
  int settlementDays = 1;                     // T+N

  bool enabled() const { return everySeconds > 0 || dailyAtMinute.has_value(); }
};

// "HH:MM" (00:00 to 23:59) as minutes after midnight, or nullopt.
std::optional<int> parseTimeOfDay(const std::string& text);

// Adds --settle-at, --settle-every and --settlement-days to a daemon's options;
// a malformed value is an option error (the daemon exits 2).
void addSettlementOptions(boost::program_options::options_description& options);
// The schedule those options give. REQUIRES: addSettlementOptions was used.
SettlementScheduleOptions settlementOptionsFrom(const boost::program_options::variables_map& vm);

class SettlementSchedule {
 public:
  explicit SettlementSchedule(SettlementScheduleOptions options) : options_(options) {}

  // The first run strictly after `nowNanos`. REQUIRES: enabled().
  int64_t nextRunAfter(int64_t nowNanos) const;
  // The run to make at start: the last daily run at or before `nowNanos`, or
  // now for an interval schedule. REQUIRES: enabled().
  int64_t runAtStart(int64_t nowNanos) const;
  // What a run scheduled at `runNanos` settles through (yyyymmdd).
  int32_t throughFor(int64_t runNanos) const;

  const SettlementScheduleOptions& options() const { return options_; }

 private:
  SettlementScheduleOptions options_;
};

// Settles on `schedule` from construction until destruction. The destructor
// waits for a run in progress to finish (a settlement is one durable write).
class ScheduledSettlement {
 public:
  static constexpr std::chrono::seconds kRetryAfterFailure{30};

  // `nowNanos` empty: the system clock. Books and logger must outlive this.
  // REQUIRES: schedule.options().enabled().
  ScheduledSettlement(Books& books, SettlementSchedule schedule, base::Logger& logger,
                      std::function<int64_t()> nowNanos = {});
  ~ScheduledSettlement();

  ScheduledSettlement(const ScheduledSettlement&) = delete;
  ScheduledSettlement& operator=(const ScheduledSettlement&) = delete;

 private:
  void run();
  // Sleeps until the clock reads `atNanos` or stop; false on stop.
  bool sleepUntil(int64_t atNanos);

  Books& books_;
  const SettlementSchedule schedule_;
  base::Logger& logger_;
  const std::function<int64_t()> nowNanos_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: started last
};

}  // namespace triad::firm
