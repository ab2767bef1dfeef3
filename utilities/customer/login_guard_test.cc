#include "utilities/customer/login_guard.h"

#include <gtest/gtest.h>

namespace triad::customer {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

class LoginGuardTest : public ::testing::Test {
 protected:
  MonotonicClock clock() {
    return [this] { return now_; };
  }

  int64_t now_ = 1'000 * kSecond;
  LoginGuard guard_{LoginGuardOptions{.maxFailures = 5,
                                      .window = std::chrono::seconds(60),
                                      .sessionIdle = std::chrono::seconds(900)},
                    clock()};
};

TEST_F(LoginGuardTest, FiveFailuresInAWindowLockTheAccountUntilTheyAgeOut) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(guard_.attempt("alice", "")) << i;  // then the secret is wrong
    now_ += kSecond;
  }
  std::optional<OrderError> refused = guard_.attempt("alice", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, idl::ErrorCode::RATE_LIMITED);
  // The first failure was at 1000 s, now is 1005 s: it ages out at 1060 s.
  EXPECT_EQ(refused->reason, "too many failed logins from this account; retry in 55 s");
  // Other accounts are not affected.
  EXPECT_FALSE(guard_.attempt("bob", ""));

  now_ = 1'060 * kSecond;  // the first failure has aged out: one more try
  EXPECT_FALSE(guard_.attempt("alice", ""));
  EXPECT_TRUE(guard_.attempt("alice", ""));
}

TEST_F(LoginGuardTest, ASuccessClearsTheAccountsFailures) {
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(guard_.attempt("alice", ""));
  EXPECT_FALSE(guard_.attempt("alice", ""));
  guard_.succeeded("alice", "");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(guard_.attempt("alice", "")) << i;
  EXPECT_TRUE(guard_.attempt("alice", ""));
}

TEST_F(LoginGuardTest, APeerTryingManyAccountsIsLimited) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(guard_.attempt("user" + std::to_string(i), "127.1.0.9")) << i;
  }
  std::optional<OrderError> refused = guard_.attempt("user9", "127.1.0.9");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, idl::ErrorCode::RATE_LIMITED);
  EXPECT_EQ(refused->reason, "too many failed logins from this address; retry in 60 s");
  // Another peer may still log in to those accounts.
  EXPECT_FALSE(guard_.attempt("user9", "127.1.0.10"));
}

TEST_F(LoginGuardTest, AttemptsInFlightCountUntilTheySucceed) {
  // Five logins pipelined at once: none has an answer yet, the sixth waits.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(guard_.attempt("alice", "127.1.0.9"));
  EXPECT_TRUE(guard_.attempt("alice", "127.1.0.9"));
  // One of them succeeds: the account is cleared, the peer has 4 left.
  guard_.succeeded("alice", "127.1.0.9");
  EXPECT_FALSE(guard_.attempt("alice", "127.1.0.9"));
  EXPECT_TRUE(guard_.attempt("alice", "127.1.0.9"));
}

TEST_F(LoginGuardTest, HostileAccountNamesShareOneBoundedKey) {
  const std::string huge(1 << 20, 'x');
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(guard_.attempt(huge, ""));
  EXPECT_TRUE(guard_.attempt(huge, ""));
}

TEST_F(LoginGuardTest, ZeroFailuresMeansNoLimit) {
  LoginGuard open(LoginGuardOptions{.maxFailures = 0}, clock());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(open.attempt("alice", "p"));
}

TEST_F(LoginGuardTest, ASessionExpiresAfterItsIdleTimeAndStaysExpired) {
  SessionLease lease = guard_.newLease();
  now_ += 899 * kSecond;
  EXPECT_TRUE(lease.renew());  // used: the timer restarts
  now_ += 900 * kSecond;
  EXPECT_TRUE(lease.renew());
  now_ += 901 * kSecond;
  EXPECT_FALSE(lease.renew());
  now_ += kSecond;
  EXPECT_FALSE(lease.renew()) << "an expired session never comes back";
  EXPECT_EQ(lease.expired().code, idl::ErrorCode::SESSION_EXPIRED);
  EXPECT_EQ(lease.expired().reason, "the session expired after 900 s without a call; log in again");

  SessionLease forever(clock(), std::chrono::seconds(0));
  now_ += 1'000'000 * kSecond;
  EXPECT_TRUE(forever.renew());
}

}  // namespace
}  // namespace triad::customer
