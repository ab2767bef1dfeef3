// The owner's acknowledgement rule: the policies, the timeout, the stall
// that answers later commits at once, and the lag figures.

#include "bdb/ack_tracker.h"

#include <gtest/gtest.h>

#include <thread>

namespace triad::bdb {
namespace {

using namespace std::chrono_literals;

TEST(AckTrackerTest, OneReplicaAcknowledgingIsEnoughUnderPolicyOne) {
  AckTracker tracker({1, 2}, AckPolicy::kOne, 2000ms);
  tracker.peerChanged(1, true);
  tracker.peerChanged(2, true);
  tracker.committed({1, 100});
  std::thread replica([&] {
    std::this_thread::sleep_for(20ms);
    tracker.acknowledged(2, {1, 100});
  });
  EXPECT_EQ(tracker.await({1, 100}), AckTracker::Wait::kAcknowledged);
  replica.join();
  // An acknowledgement covers every earlier LSN.
  EXPECT_EQ(tracker.await({1, 50}), AckTracker::Wait::kAcknowledged);
}

TEST(AckTrackerTest, AllAvailableWaitsForEveryConnectedReplica) {
  AckTracker tracker({1, 2, 3}, AckPolicy::kAllAvailable, 200ms);
  tracker.peerChanged(1, true);
  tracker.peerChanged(2, true);  // 3 is down: not waited for
  tracker.acknowledged(1, {1, 100});
  EXPECT_EQ(tracker.await({1, 100}), AckTracker::Wait::kTimedOut);
  tracker.acknowledged(2, {1, 100});
  EXPECT_EQ(tracker.await({1, 100}), AckTracker::Wait::kAcknowledged);
}

TEST(AckTrackerTest, AStalledReplicaSetAnswersAtOnceUntilAnAcknowledgementArrives) {
  AckTracker tracker({1}, AckPolicy::kOne, 100ms);
  tracker.peerChanged(1, true);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(tracker.await({1, 100}), AckTracker::Wait::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_TRUE(tracker.stalled());
  // Later commits do not each wait the timeout again.
  const auto later = std::chrono::steady_clock::now();
  EXPECT_EQ(tracker.await({1, 200}), AckTracker::Wait::kStalled);
  EXPECT_LT(std::chrono::steady_clock::now() - later, 50ms);
  // The replica comes back and acknowledges the first: waits are normal again.
  tracker.acknowledged(1, {1, 100});
  EXPECT_FALSE(tracker.stalled());
  EXPECT_EQ(tracker.await({1, 100}), AckTracker::Wait::kAcknowledged);
}

TEST(AckTrackerTest, PolicyNoneNeverWaits) {
  AckTracker tracker({1}, AckPolicy::kNone, 10s);
  EXPECT_EQ(tracker.await({9, 9}), AckTracker::Wait::kAcknowledged);
}

TEST(AckTrackerTest, LagCountsTheCommitsAReplicaHasNotAcknowledged) {
  AckTracker tracker({1, 2}, AckPolicy::kOne, 1000ms);
  for (uint32_t offset = 100; offset <= 500; offset += 100) tracker.committed({1, offset});
  tracker.acknowledged(1, {1, 500});
  tracker.acknowledged(2, {1, 200});
  auto replicas = tracker.replicas();
  ASSERT_EQ(replicas.size(), 2u);
  EXPECT_EQ(replicas[0].commitsBehind, 0u);
  EXPECT_EQ(replicas[0].behind, std::chrono::nanoseconds(0));
  EXPECT_EQ(replicas[1].commitsBehind, 3u);
  EXPECT_GT(replicas[1].behind, std::chrono::nanoseconds(0));
  EXPECT_EQ(replicas[1].acknowledged, (Lsn{1, 200}));
}

}  // namespace
}  // namespace triad::bdb
