// Progress: the leader's per-follower state machine (probe, replicate,
// snapshot) and its in-flight window.

#include "consensus/raft/progress.h"

#include <gtest/gtest.h>

namespace cairn::raft {
namespace {

TEST(InflightsTest, FullByCountOrBytes) {
  Inflights in(3, 1000);
  in.Add(1, 100);
  in.Add(2, 100);
  EXPECT_FALSE(in.Full());
  in.Add(3, 100);
  EXPECT_TRUE(in.Full());
  in.FreeUpTo(2);
  EXPECT_EQ(in.count(), 1);
  EXPECT_EQ(in.bytes(), 100u);
  EXPECT_FALSE(in.Full());

  Inflights bytes(100, 250);
  bytes.Add(1, 200);
  EXPECT_FALSE(bytes.Full());
  bytes.Add(2, 200);
  EXPECT_TRUE(bytes.Full());
  bytes.Reset();
  EXPECT_EQ(bytes.count(), 0);
  EXPECT_EQ(bytes.bytes(), 0u);
}

TEST(InflightsTest, FreeUpToFreesOnlyCoveredFlights) {
  Inflights in(10, 0);  // 0: no byte limit
  in.Add(5, 1);
  in.Add(9, 1);
  in.Add(12, 1);
  in.FreeUpTo(4);
  EXPECT_EQ(in.count(), 3);
  in.FreeUpTo(10);
  EXPECT_EQ(in.count(), 1);
  in.FreeUpTo(100);
  EXPECT_EQ(in.count(), 0);
}

Progress Make(Index next) {
  return Progress(next, 4, 1 << 20);
}

TEST(ProgressTest, ProbeSendsOneAtATime) {
  Progress pr = Make(5);
  EXPECT_EQ(pr.state, Progress::State::kProbe);
  EXPECT_FALSE(pr.Paused());
  pr.SentEntries(7, 100);
  EXPECT_TRUE(pr.Paused());
  EXPECT_EQ(pr.next, 5u) << "a probe does not move next until answered";
  EXPECT_TRUE(pr.MaybeUpdate(7));
  EXPECT_FALSE(pr.Paused());
  EXPECT_EQ(pr.match, 7u);
  EXPECT_EQ(pr.next, 8u);
  EXPECT_FALSE(pr.MaybeUpdate(6)) << "stale";
}

TEST(ProgressTest, ReplicatePipelinesUpToTheWindow) {
  Progress pr = Make(5);
  pr.match = 4;
  pr.BecomeReplicate();
  EXPECT_EQ(pr.next, 5u);
  for (Index last = 5; last < 9; last++) {
    EXPECT_FALSE(pr.Paused());
    pr.SentEntries(last, 10);
    EXPECT_EQ(pr.next, last + 1) << "optimistically past what was sent";
  }
  EXPECT_TRUE(pr.Paused());
  pr.MaybeUpdate(6);
  pr.inflights.FreeUpTo(6);
  EXPECT_FALSE(pr.Paused());
}

TEST(ProgressTest, RejectionInReplicateFallsBackToProbe) {
  Progress pr = Make(1);
  pr.match = 4;
  pr.BecomeReplicate();
  pr.SentEntries(8, 10);
  EXPECT_FALSE(pr.MaybeDecrease(3, 3)) << "rejection of something already matched is stale";
  EXPECT_EQ(pr.state, Progress::State::kReplicate);
  EXPECT_TRUE(pr.MaybeDecrease(8, 6));
  EXPECT_EQ(pr.state, Progress::State::kProbe);
  EXPECT_EQ(pr.next, 7u);
  EXPECT_EQ(pr.inflights.count(), 0);
}

TEST(ProgressTest, RejectionInProbeCountsOnlyForTheOutstandingProbe) {
  Progress pr = Make(10);
  pr.SentEntries(12, 10);
  EXPECT_FALSE(pr.MaybeDecrease(5, 2)) << "answer to an older probe";
  EXPECT_TRUE(pr.Paused());
  EXPECT_TRUE(pr.MaybeDecrease(9, 2));
  EXPECT_EQ(pr.next, 3u);
  EXPECT_FALSE(pr.Paused());
  // Never below match + 1.
  pr.match = 5;
  pr.next = 8;
  EXPECT_TRUE(pr.MaybeDecrease(7, 1));
  EXPECT_EQ(pr.next, 6u);
}

TEST(ProgressTest, SnapshotPausesAndResumesPastIt) {
  Progress pr = Make(3);
  Snapshot snap;
  snap.meta.index = 50;
  pr.BecomeSnapshot(std::make_shared<const Snapshot>(snap));
  EXPECT_TRUE(pr.Paused());
  EXPECT_EQ(pr.snapshot_index, 50u);
  ASSERT_NE(pr.snapshot, nullptr);
  pr.BecomeProbe();
  EXPECT_EQ(pr.snapshot, nullptr) << "the transfer's snapshot is released";
  EXPECT_EQ(pr.next, 51u) << "the follower has at least the snapshot";
  EXPECT_EQ(pr.state, Progress::State::kProbe);
}

}  // namespace
}  // namespace cairn::raft
