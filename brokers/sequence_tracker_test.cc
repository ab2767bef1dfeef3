#include "brokers/sequence_tracker.h"

#include <gtest/gtest.h>

namespace triad::brokers {
namespace {

bool inOrder(const SequenceTracker::Verdict& verdict) {
  return verdict.deliver() && !verdict.gap && !verdict.restarted;
}

TEST(SequenceTrackerTest, FirstMessageOfAnUnknownOriginIsTheBaseline) {
  SequenceTracker tracker;
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 1042)));
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 1043)));
}

TEST(SequenceTrackerTest, GapNamesTheFirstMissingAndTheReceivedSequence) {
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 1)));
  ASSERT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 2)));
  SequenceTracker::Verdict verdict = tracker.observe("cf1", "order.ss1", 7, 6);
  EXPECT_TRUE(verdict.deliver());
  ASSERT_TRUE(verdict.gap);
  EXPECT_EQ(*verdict.gap, (Gap{"cf1", "order.ss1", 3, 6}));
  EXPECT_EQ(verdict.gap->missed(), 3u);
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 7)));
}

TEST(SequenceTrackerTest, RepeatedAndOlderSequencesAreDuplicates) {
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "execution", 7, 1)));
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "execution", 7, 2)));
  SequenceTracker::Verdict again = tracker.observe("ss1", "execution", 7, 2);
  EXPECT_FALSE(again.deliver());
  EXPECT_EQ(again.duplicate, (Duplicate{"ss1", "execution", 2}));
  EXPECT_FALSE(tracker.observe("ss1", "execution", 7, 1).deliver());
  EXPECT_TRUE(inOrder(tracker.observe("ss1", "execution", 7, 3)));
}

TEST(SequenceTrackerTest, TopicsOfOnePublisherAreSeparateStreams) {
  // Regression: with one counter per publisher, a subscriber to one topic saw
  // the messages it had not subscribed to as gaps.
  SequenceTracker tracker;
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 1)));
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss2", 7, 1)));
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 2)));
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss2", 7, 2)));
}

TEST(SequenceTrackerTest, OriginsAreSeparateStreams) {
  SequenceTracker tracker;
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 1)));
  EXPECT_TRUE(inOrder(tracker.observe("cf2", "order.ss1", 9, 1)));
  EXPECT_TRUE(inOrder(tracker.observe("cf1", "order.ss1", 7, 2)));
}

TEST(SequenceTrackerTest, NewIncarnationIsARestartAndStreamsStartOver) {
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "execution", 100, 41)));
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "route", 100, 17)));
  SequenceTracker::Verdict verdict = tracker.observe("ss1", "execution", 200, 1);
  EXPECT_EQ(verdict.restarted, (PublisherRestarted{"ss1", 100, 200}));
  EXPECT_FALSE(verdict.gap);
  EXPECT_TRUE(verdict.deliver());
  EXPECT_TRUE(inOrder(tracker.observe("ss1", "route", 200, 1)));
  EXPECT_TRUE(inOrder(tracker.observe("ss1", "execution", 200, 2)));
}

TEST(SequenceTrackerTest, LowerIncarnationIsAlsoARestart) {
  // Incarnations are compared for equality only: a wall clock set back
  // between two runs must not hide a restart.
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("firm", "booking", 200, 5)));
  EXPECT_EQ(tracker.observe("firm", "booking", 100, 1).restarted,
            (PublisherRestarted{"firm", 200, 100}));
}

TEST(SequenceTrackerTest, AfterARestartAStreamMustBeginAtOne) {
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "execution", 100, 9)));
  SequenceTracker::Verdict verdict = tracker.observe("ss1", "execution", 200, 4);
  EXPECT_TRUE(verdict.restarted);
  EXPECT_EQ(verdict.gap, (Gap{"ss1", "execution", 1, 4}));
  EXPECT_TRUE(verdict.deliver());
  // A stream first seen later in the new incarnation is held to the same rule.
  EXPECT_EQ(tracker.observe("ss1", "route", 200, 3).gap, (Gap{"ss1", "route", 1, 3}));
}

TEST(SequenceTrackerTest, StreamFirstSeenAfterANewSubscriptionIsABaseline) {
  SequenceTracker tracker;
  ASSERT_TRUE(inOrder(tracker.observe("ss1", "execution", 100, 9)));
  ASSERT_TRUE(tracker.observe("ss1", "execution", 200, 1).restarted);
  tracker.subscriptionAdded();
  EXPECT_TRUE(inOrder(tracker.observe("ss1", "route", 200, 12)));
}

}  // namespace
}  // namespace triad::brokers
