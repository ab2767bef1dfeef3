#include <gtest/gtest.h>

#include "bdb/ownership_group.h"

namespace triad::bdb {
namespace {

ReplicationStatus at(uint64_t sequence, int64_t committedAtNanos) {
  ReplicationStatus status;
  status.commit = {sequence, committedAtNanos};
  return status;
}

TEST(ReplicaLagTest, ReplicaThatAppliedTheOwnersLastBatchHasCaughtUp) {
  ReplicaLag lag = lagBehind(at(42, 5'000), at(42, 5'000));
  EXPECT_TRUE(lag.caughtUp());
  EXPECT_EQ(lag.time.count(), 0);
}

TEST(ReplicaLagTest, LagCountsMissingBatchesAndTheirAge) {
  ReplicaLag lag = lagBehind(at(50, 9'000'000'000), at(42, 6'500'000'000));
  EXPECT_FALSE(lag.caughtUp());
  EXPECT_EQ(lag.commits, 8u);
  EXPECT_EQ(lag.time, std::chrono::milliseconds(2500));
}

TEST(ReplicaLagTest, StatusesReadOutOfOrderNeverGiveANegativeLag) {
  // The console reads the owner first; the replica may have moved on since.
  ReplicaLag lag = lagBehind(at(10, 1'000), at(12, 3'000));
  EXPECT_TRUE(lag.caughtUp());
  EXPECT_EQ(lag.time.count(), 0);
}

TEST(ReplicaLagTest, AckPolicyNamesParse) {
  EXPECT_EQ(parseAckPolicy("one"), AckPolicy::kOne);
  EXPECT_EQ(parseAckPolicy("all-available"), AckPolicy::kAllAvailable);
  EXPECT_EQ(parseAckPolicy("none"), AckPolicy::kNone);
  EXPECT_EQ(parseAckPolicy("quorum"), std::nullopt);  // never satisfied by priority-0 clients
}

}  // namespace
}  // namespace triad::bdb
