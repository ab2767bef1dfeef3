#include "bench/run_limit.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace triad::bench {
namespace {

sigset_t stopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

RunLimit::RunLimit(std::chrono::seconds limit) {
  sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  thread_ = std::thread([this, deadline] { run(deadline); });
}

RunLimit::~RunLimit() {
  {
    std::lock_guard lock(mutex_);
    exiting_ = true;
  }
  thread_.join();
}

void RunLimit::run(std::chrono::steady_clock::time_point deadline) {
  const sigset_t signals = stopSignals();
  std::chrono::steady_clock::time_point stoppedAt;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (exiting_) return;
      const auto now = std::chrono::steady_clock::now();
      if (reason_.empty() && now >= deadline) stop("the run's time limit passed");
      if (!reason_.empty() && stoppedAt == std::chrono::steady_clock::time_point{}) {
        stoppedAt = now;
      }
      if (stoppedAt != std::chrono::steady_clock::time_point{} &&
          now - stoppedAt > std::chrono::seconds(30)) {
        fprintf(stderr, "replicated_commit_bench: %s, and the coordinator did not exit\n",
                reason_.c_str());
        _exit(124);
      }
    }
    const timespec tick{0, 100'000'000};
    siginfo_t info{};
    const int signal = sigtimedwait(&signals, &info, &tick);
    if (signal > 0) {
      std::lock_guard lock(mutex_);
      if (reason_.empty()) stop(std::string("stopped by ") + strsignal(signal));
    }
  }
}

void RunLimit::stop(std::string reason) {
  reason_ = std::move(reason);
  for (pid_t pid : pids_) ::kill(pid, SIGKILL);
  changed_.notify_all();
}

void RunLimit::watch(pid_t pid) {
  std::lock_guard lock(mutex_);
  pids_.insert(pid);
  if (!reason_.empty()) ::kill(pid, SIGKILL);
}

void RunLimit::unwatch(pid_t pid) {
  std::lock_guard lock(mutex_);
  pids_.erase(pid);
}

bool RunLimit::sleepFor(std::chrono::nanoseconds duration) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, duration, [&] { return !reason_.empty(); });
}

bool RunLimit::stopped() const {
  std::lock_guard lock(mutex_);
  return !reason_.empty();
}

std::string RunLimit::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

}  // namespace triad::bench
