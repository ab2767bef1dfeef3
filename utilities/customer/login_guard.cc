#include "utilities/customer/login_guard.h"

#include <boost/program_options.hpp>
#include <utility>

namespace triad::customer {
namespace {

// Valid account ids are at most 64 characters (firm/books.cc).
constexpr size_t kMaxAccountKey = 64;
constexpr size_t kSweepEvery = 1024;

std::string accountKey(std::string_view account) {
  std::string key = "a:" + std::string(account.substr(0, kMaxAccountKey));
  if (account.size() > kMaxAccountKey) key += "...#" + std::to_string(account.size());
  return key;
}

std::string peerKey(std::string_view peer) { return "p:" + std::string(peer); }

}  // namespace

void addLoginOptions(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()("login-failures", po::value<int>()->default_value(5),
                        "failed logins per account or peer before refusing (0: no limit)")(
      "login-window-seconds", po::value<int>()->default_value(60),
      "how long a failed login counts")(
      "session-idle-seconds", po::value<int>()->default_value(900),
      "a session expires after this long without a call (0: never)");
}

LoginGuardOptions loginOptionsFrom(const boost::program_options::variables_map& variables) {
  LoginGuardOptions options;
  auto get = [&](const char* name, int fallback) {
    return variables.count(name) ? std::max(0, variables[name].as<int>()) : fallback;
  };
  options.maxFailures = get("login-failures", options.maxFailures);
  options.window = std::chrono::seconds(get("login-window-seconds", 60));
  options.sessionIdle = std::chrono::seconds(get("session-idle-seconds", 900));
  return options;
}

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SessionLease::SessionLease(MonotonicClock clock, std::chrono::nanoseconds idle)
    : clock_(std::move(clock)), idle_(idle), lastUsed_(clock_()) {}

bool SessionLease::renew() {
  if (lapsed_) return false;
  const int64_t now = clock_();
  if (idle_.count() > 0 && now - lastUsed_ > idle_.count()) {
    lapsed_ = true;
    return false;
  }
  lastUsed_ = now;
  return true;
}

OrderError SessionLease::expired() const {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(idle_).count();
  return {idl::ErrorCode::SESSION_EXPIRED, "the session expired after " + std::to_string(seconds) +
                                               " s without a call; log in again"};
}

LoginGuard::LoginGuard(LoginGuardOptions options, MonotonicClock clock)
    : options_(options), clock_(std::move(clock)) {}

SessionLease LoginGuard::newLease() const { return SessionLease(clock_, options_.sessionIdle); }

void LoginGuard::sweep(int64_t now) {
  const int64_t window = std::chrono::nanoseconds(options_.window).count();
  for (auto it = failures_.begin(); it != failures_.end();) {
    Failures& times = it->second;
    while (!times.empty() && now - times.front() >= window) times.pop_front();
    it = times.empty() ? failures_.erase(it) : std::next(it);
  }
}

std::optional<int64_t> LoginGuard::lockedUntil(const std::string& key, int64_t now) {
  auto found = failures_.find(key);
  if (found == failures_.end()) return std::nullopt;
  Failures& times = found->second;
  const int64_t window = std::chrono::nanoseconds(options_.window).count();
  while (!times.empty() && now - times.front() >= window) times.pop_front();
  if (times.empty()) {
    failures_.erase(found);
    return std::nullopt;
  }
  if (static_cast<int>(times.size()) < options_.maxFailures) return std::nullopt;
  // Free again when enough of the failures have aged out of the window.
  return times[times.size() - static_cast<size_t>(options_.maxFailures)] + window;
}

std::optional<OrderError> LoginGuard::attempt(std::string_view account, std::string_view peer) {
  if (options_.maxFailures <= 0) return std::nullopt;
  const int64_t now = clock_();
  if (++attemptsSinceSweep_ >= kSweepEvery) {
    attemptsSinceSweep_ = 0;
    sweep(now);
  }
  const std::string byAccount = accountKey(account);
  const std::string byPeer = peer.empty() ? std::string() : peerKey(peer);
  std::optional<int64_t> until = lockedUntil(byAccount, now);
  std::string who = "this account";
  if (!until && !byPeer.empty()) {
    until = lockedUntil(byPeer, now);
    who = "this address";
  }
  if (until) {
    const int64_t waitSeconds = (*until - now + 999'999'999) / 1'000'000'000;
    return OrderError{idl::ErrorCode::RATE_LIMITED,
                      "too many failed logins from " + who + "; retry in " +
                          std::to_string(waitSeconds < 1 ? 1 : waitSeconds) + " s"};
  }
  failures_[byAccount].push_back(now);
  if (!byPeer.empty()) failures_[byPeer].push_back(now);
  return std::nullopt;
}

void LoginGuard::succeeded(std::string_view account, std::string_view peer) {
  if (options_.maxFailures <= 0) return;
  failures_.erase(accountKey(account));
  if (peer.empty()) return;
  auto found = failures_.find(peerKey(peer));
  if (found == failures_.end()) return;
  // Withdraw this attempt (the latest one counted for the peer).
  if (!found->second.empty()) found->second.pop_back();
  if (found->second.empty()) failures_.erase(found);
}

}  // namespace triad::customer
