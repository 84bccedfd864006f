// Leadership transfer: the leader brings the target up to date, tells it to
// campaign at once, and gives up if that does not happen in time.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

const Cluster::Pred kTimeoutNow = OfType(MessageType::kTimeoutNow);

TEST(TransferTest, CaughtUpTargetBecomesLeaderInTheNextTerm) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize();
  const Term term = c.raft(1).term();
  c.ClearSent();
  ASSERT_TRUE(c.raft(1).TransferLeadership(2).ok());
  EXPECT_EQ(c.raft(1).transferee(), 2u);
  c.Stabilize();
  EXPECT_EQ(c.CountSent(And(kTimeoutNow, To(2))), 1u);
  EXPECT_EQ(c.Leader(), 2u);
  EXPECT_EQ(c.raft(2).term(), term + 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).leader(), 2u);
  ASSERT_TRUE(c.raft(2).Propose("y").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"x", "y"}));
}

TEST(TransferTest, LaggingTargetIsCaughtUpFirst) {
  Cluster c(3);
  c.Elect(1);
  // Node 3 is behind: its appends are still in flight.
  const auto to3 = To(3);
  for (int i = 0; i < 3; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize(to3);
  ASSERT_LT(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
  c.ClearSent();
  const Index want = c.raft(1).log().LastIndex();
  ASSERT_TRUE(c.raft(1).TransferLeadership(3).ok());
  c.Stabilize(to3);
  EXPECT_EQ(c.CountSent(kTimeoutNow), 0u) << "the target would lose without the entries";

  c.Stabilize();
  ASSERT_GE(c.CountSent(And(kTimeoutNow, To(3))), 1u);
  // TimeoutNow left only after node 3 acknowledged the last entry.
  bool acked = false;
  for (const Message& m : c.sent()) {
    if (m.type == MessageType::kAppResp && m.from == 3 && !m.reject && m.index >= want) {
      acked = true;
    }
    if (kTimeoutNow(m)) {
      EXPECT_TRUE(acked) << "TimeoutNow before the target caught up";
      break;
    }
  }
  EXPECT_EQ(c.Leader(), 3u);
  EXPECT_EQ(c.AppliedData(3), (std::vector<std::string>{"p0", "p1", "p2"}));
}

TEST(TransferTest, ProposalsFailDuringTransfer) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(2);
  ASSERT_TRUE(c.raft(1).TransferLeadership(2).ok());
  auto p = c.raft(1).Propose("x");
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_EQ(p.status().message(), "leadership transfer in progress");
  EXPECT_FALSE(c.raft(1).ProposeConfChange(ConfChange{}).ok());
}

TEST(TransferTest, TransferThatCannotFinishIsAbortedAfterAnElectionTimeout) {
  Cluster c(3);
  c.Elect(1);
  const Term term = c.raft(1).term();
  c.Isolate(2);
  ASSERT_TRUE(c.raft(1).TransferLeadership(2).ok());
  const int timeout = TestConfig().election_ticks;
  for (int i = 1; i < timeout; i++) {
    c.TickAll();
    ASSERT_EQ(c.raft(1).transferee(), 2u) << "aborted early, after " << i << " ticks";
  }
  c.TickAll();
  EXPECT_EQ(c.raft(1).transferee(), kNoNode);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_TRUE(c.raft(1).Propose("x").ok());
}

TEST(TransferTest, InvalidTargetsAreRefused) {
  Cluster c(3, 1);
  c.Elect(1);
  EXPECT_TRUE(c.raft(1).TransferLeadership(1).ok()) << "to itself: nothing to do";
  EXPECT_EQ(c.raft(1).transferee(), kNoNode);
  EXPECT_EQ(c.raft(1).TransferLeadership(4).code(), Code::kInvalidArgument) << "a learner";
  EXPECT_EQ(c.raft(1).TransferLeadership(9).code(), Code::kInvalidArgument) << "not a member";
  EXPECT_EQ(c.raft(2).TransferLeadership(3).code(), Code::kFailedPrecondition) << "not leader";
}

TEST(TransferTest, ForcedCampaignOverridesTheFollowersLease) {
  // The other follower heard the leader a moment ago and would ignore an
  // ordinary vote request; the transfer's request says the leader asked.
  Cluster c(3);
  c.Elect(1);
  c.TickAll(3);
  ASSERT_TRUE(c.raft(1).TransferLeadership(2).ok());
  c.Stabilize();
  EXPECT_EQ(c.Leader(), 2u);
  EXPECT_GT(c.CountSent([](const Message& m) {
    return m.type == MessageType::kVote && m.from == 2 && m.to == 3 && m.force;
  }),
            0u);
}

}  // namespace
}  // namespace cairn::raft::test
