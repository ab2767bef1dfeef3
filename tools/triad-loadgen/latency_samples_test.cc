#include "tools/triad-loadgen/latency_samples.h"

#include <gtest/gtest.h>

namespace triad::loadgen {
namespace {

using std::chrono::microseconds;

TEST(LatencySamplesTest, PercentilesAreNearestRankOverEverySample) {
  LatencySamples samples;
  for (int i = 1000; i >= 1; --i) samples.add(microseconds(i * 10));  // 0.01 .. 10 ms, unsorted
  const LatencySummary s = samples.summary();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.p50Ms, 5.0);
  EXPECT_DOUBLE_EQ(s.p90Ms, 9.0);
  EXPECT_DOUBLE_EQ(s.p99Ms, 9.9);
  EXPECT_DOUBLE_EQ(s.p999Ms, 9.99);
  EXPECT_DOUBLE_EQ(s.maxMs, 10.0);
  EXPECT_NEAR(s.meanMs, 5.005, 1e-9);
  EXPECT_DOUBLE_EQ(samples.percentileMs(50), 5.0);
}

TEST(LatencySamplesTest, EmptyIsZeroNotACrash) {
  LatencySamples samples;
  EXPECT_EQ(samples.summary().count, 0u);
  EXPECT_EQ(samples.summary().p99Ms, 0);
  EXPECT_EQ(samples.percentileMs(99), 0);
}

TEST(LatencySamplesTest, OneSampleIsEveryPercentile) {
  LatencySamples samples;
  samples.add(microseconds(1500));
  const LatencySummary s = samples.summary();
  EXPECT_DOUBLE_EQ(s.p50Ms, 1.5);
  EXPECT_DOUBLE_EQ(s.p999Ms, 1.5);
  EXPECT_DOUBLE_EQ(s.maxMs, 1.5);
}

}  // namespace
}  // namespace triad::loadgen
