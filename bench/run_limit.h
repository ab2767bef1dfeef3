// The storage floor benchmark's own time limit, and its answer to SIGINT,
// SIGTERM and SIGHUP: when the limit passes or a signal arrives, a watchdog
// thread kills every site process it watches (SIGKILL), so that the
// coordinator's reads from them end at once, and wakes its sleeps; the
// coordinator then reaps them and removes its folders on its way out. If it
// has not exited 30 s later, the watchdog ends the process.
//
// Construct it on the main thread before any other thread starts: it blocks
// those signals in every thread (site processes unblock them).
//
// Thread-safety: every method may be called from any thread.

#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace triad::bench {

class RunLimit {
 public:
  explicit RunLimit(std::chrono::seconds limit);
  ~RunLimit();
  RunLimit(const RunLimit&) = delete;
  RunLimit& operator=(const RunLimit&) = delete;

  void watch(pid_t pid);
  void unwatch(pid_t pid);
  // Sleeps unless stopped; false when stopped.
  bool sleepFor(std::chrono::nanoseconds duration);
  bool stopped() const;
  std::string reason() const;  // why it stopped ("" while running)

 private:
  void run(std::chrono::steady_clock::time_point deadline);
  void stop(std::string reason);  // mutex_ held

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // guarded by mutex_
  std::set<pid_t> pids_;             // guarded by mutex_
  std::string reason_;               // guarded by mutex_; set once stopped
  bool exiting_ = false;             // guarded by mutex_
  std::thread thread_;
};

}  // namespace triad::bench
