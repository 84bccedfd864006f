// Learners: they receive the log like anyone else but take no part in
// deciding anything.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

// Voters 1..3 and learner 4.
TEST(LearnerTest, LearnerReceivesAndAppliesEntries) {
  Cluster c(3, 1);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  EXPECT_NE(leader, 4u);
  ASSERT_TRUE(c.raft(leader).Propose("x").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(4), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(c.raft(leader).progress().at(4).learner);
  EXPECT_FALSE(c.raft(4).Promotable());
  EXPECT_EQ(c.raft(4).leader(), leader);
}

TEST(LearnerTest, LearnerNeverCampaignsAndIsNeverAskedToVote) {
  Cluster c(3, 1);
  // With every voter gone the learner is alone for a long time.
  for (NodeId id : {1, 2, 3})
    c.Isolate(id);
  for (int i = 0; i < 100; i++) {
    c.Tick(4);
    c.ProcessReady(4);
  }
  EXPECT_EQ(c.raft(4).role(), Role::kFollower);
  EXPECT_EQ(c.raft(4).term(), 0u);
  EXPECT_EQ(c.CountSent(From(4)), 0u);
  // Not even an explicit invitation makes it campaign.
  c.Heal();
  c.ForceCampaign(4);
  c.ProcessAllReady();
  EXPECT_EQ(c.raft(4).role(), Role::kFollower);
  EXPECT_EQ(c.CountSent(From(4)), 0u);

  c.TickUntilLeader();
  EXPECT_EQ(c.CountSent(And(To(4), OfType(MessageType::kVote))), 0u);
  EXPECT_EQ(c.CountSent(And(To(4), OfType(MessageType::kPreVote))), 0u);
}

TEST(LearnerTest, LearnerDoesNotCountTowardCommit) {
  Cluster c(3, 1);
  c.Elect(1);
  // Only the learner hears the leader: leader + learner is not a majority
  // of the voters even though it is half of the nodes.
  const auto voters = Or(Touches(2), Touches(3));
  auto id = c.raft(1).Propose("x");
  ASSERT_TRUE(id.ok());
  c.Stabilize(voters);
  EXPECT_EQ(c.raft(1).progress().at(4).match, id->index);
  EXPECT_LT(c.raft(1).commit(), id->index);
  c.Stabilize();
  EXPECT_EQ(c.raft(1).commit(), id->index);
}

TEST(LearnerTest, LearnerCannotElectAnyone) {
  Cluster c(3, 1);
  c.Elect(1);
  // Leader gone and node 3 cut off: node 2 + learner 4 cannot elect node 2.
  c.Isolate(1);
  c.Isolate(3);
  c.TickAll(100);
  EXPECT_NE(c.raft(2).role(), Role::kLeader);
  // And the cut-off leader gave up too (CheckQuorum counts no learners).
  EXPECT_EQ(c.Leader(), kNoNode);
}

TEST(LearnerTest, LearnerNeverHoldsEntriesOfATermItsLeaderForgot) {
  // A single voter wins its election alone, without sending a vote request
  // that would wait for its new term to be durable. If its appends may leave
  // before that, a crash lets it reuse the term for different entries, and
  // the learner, seeing matching (index, term) pairs, keeps the old ones.
  Cluster c(1, 1);
  while (c.raft(1).role() != Role::kLeader)
    c.Tick(1);
  ASSERT_EQ(c.raft(1).term(), 1u);
  ASSERT_TRUE(c.raft(1).Propose("a").ok());
  Ready rd = c.TakeReady(1);
  ASSERT_TRUE(rd.hard_state.has_value());
  c.Send(rd.messages);  // "sendable before persisting"
  c.Restart(1);         // ...and the write never happened
  // The learner stores what reached it; its answer is lost.
  c.Deliver(To(2));
  c.ProcessReady(2);
  c.DropInFlight(From(2));

  while (c.raft(1).role() != Role::kLeader)
    c.Tick(1);
  ASSERT_TRUE(c.raft(1).Propose("b").ok());
  c.Stabilize();
  c.TickAll(2);
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"b"}));
  EXPECT_EQ(c.AppliedData(2), c.AppliedData(1)) << "log matching broken on the learner";
}

}  // namespace
}  // namespace cairn::raft::test
