// Who may try to log in, and for how long a session lives (issue 7,
// Security): failed logins are rate-limited per account and per peer, and a
// session that has not been used for a while expires.
//
// - LoginGuard::attempt, called before the secret is checked: refuses
//   (rateLimited, with a reason saying when to retry) when the account or the
//   peer has had `maxFailures` failed attempts within `window`. Otherwise it
//   counts the attempt as a failure of both, at once, and succeeded()
//   withdraws it: so logins pipelined in parallel are limited as surely as
//   serial ones, and an attacker learns nothing by racing.
// - A success clears the account's failures and withdraws one of the
//   peer's (a peer that tries many accounts stays limited).
// - Memory is bounded: the failures older than the window are forgotten;
//   account keys longer than a valid account id are cut (the rest of a
//   hostile megabyte name adds nothing).
// - SessionLease: a session's idle timer. renew() on every call; once it has
//   lapsed (no call for `idle`) it stays lapsed, and the session answers
//   sessionExpired to everything.
//
// Times come from a Clock (monotonic nanoseconds) so tests can hand in their
// own. Thread-safety: not thread-safe; the customer utility uses both on its
// event loop thread only.

#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "utilities/customer/order_desk.h"

namespace triad::customer {

using MonotonicClock = std::function<int64_t()>;  // nanoseconds, monotonic

// steady_clock in nanoseconds.
int64_t steadyNanos();

struct LoginGuardOptions {
  int maxFailures = 5;                    // 0: no rate limit
  std::chrono::seconds window{60};        // how long a failure counts
  std::chrono::seconds sessionIdle{900};  // 0: sessions never expire
};

// triad-customerd's options for them:
//   --login-failures N          failed logins per account or peer (default 5; 0: no limit)
//   --login-window-seconds S    within this long (default 60)
//   --session-idle-seconds S    a session expires after S s without a call
//                               (default 900; 0: never)
void addLoginOptions(boost::program_options::options_description& options);
LoginGuardOptions loginOptionsFrom(const boost::program_options::variables_map& variables);

class SessionLease {
 public:
  SessionLease(MonotonicClock clock, std::chrono::nanoseconds idle);

  // True, and the idle timer restarts, while the session is live; false for
  // ever once it was idle for longer than `idle`.
  bool renew();
  bool lapsed() const { return lapsed_; }
  // The refusal an expired session answers.
  OrderError expired() const;

 private:
  MonotonicClock clock_;
  std::chrono::nanoseconds idle_;
  int64_t lastUsed_;
  bool lapsed_ = false;
};

class LoginGuard {
 public:
  explicit LoginGuard(LoginGuardOptions options, MonotonicClock clock = steadyNanos);

  // The refusal, or nothing: go on and check the secret. `peer` may be empty
  // (unknown): then only the account is limited.
  std::optional<OrderError> attempt(std::string_view account, std::string_view peer);
  void succeeded(std::string_view account, std::string_view peer);

  SessionLease newLease() const;
  const LoginGuardOptions& options() const { return options_; }

 private:
  using Failures = std::deque<int64_t>;  // attempt times, oldest first

  // Forgets every failure older than the window.
  void sweep(int64_t now);
  std::optional<int64_t> lockedUntil(const std::string& key, int64_t now);

  LoginGuardOptions options_;
  MonotonicClock clock_;
  std::map<std::string, Failures> failures_;  // "a:<account>" and "p:<peer>"
  size_t attemptsSinceSweep_ = 0;
};

}  // namespace triad::customer
