// PreVote: a node that cannot win an election must not raise the cluster's
// term, or a flapping link would depose a healthy leader each time it heals.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

TEST(PreVoteTest, PartitionedNodeRejoinsWithoutDisruptingTheLeader) {
  Cluster c(3);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  const Term term = c.raft(leader).term();
  const NodeId loner = leader == 3 ? 2 : 3;

  c.Isolate(loner);
  c.TickAll(100);  // many election timeouts for the loner
  // It campaigned (pre-votes) but never spent a term doing so.
  EXPECT_GT(c.CountSent(And(OfType(MessageType::kPreVote), From(loner))), 0u);
  EXPECT_EQ(c.CountSent(And(OfType(MessageType::kVote), From(loner))), 0u);
  EXPECT_EQ(c.raft(loner).term(), term);

  c.Heal();
  c.TickAll(30);
  EXPECT_EQ(c.Leader(), leader);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.raft(id).term(), term) << c.raft(id).Describe();
    EXPECT_EQ(c.raft(id).leader(), leader) << c.raft(id).Describe();
  }
}

// The control experiment: the same partition without PreVote shows what
// PreVote prevents.
TEST(PreVoteTest, WithoutPreVoteTheRejoiningNodeForcesANewTerm) {
  Config cfg = TestConfig();
  cfg.pre_vote = false;
  Cluster c(3, 0, cfg);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  const Term term = c.raft(leader).term();
  const NodeId loner = leader == 3 ? 2 : 3;

  c.Isolate(loner);
  c.TickAll(100);
  EXPECT_GT(c.raft(loner).term(), term + 1);

  c.Heal();
  c.TickAll(30);
  ASSERT_NE(c.Leader(), kNoNode);
  EXPECT_GT(c.raft(c.Leader()).term(), term);
}

TEST(PreVoteTest, PreVoteIsGrantedWithoutChangingTheVotersTermOrVote) {
  // Without CheckQuorum there is no lease to keep the voter quiet.
  Config cfg = TestConfig();
  cfg.check_quorum = false;
  Cluster c(3, 0, cfg);
  Message m;
  m.type = MessageType::kPreVote;
  m.from = 2;
  m.to = 1;
  m.term = 1;
  c.in_flight().push_back(m);
  c.Deliver();
  Ready rd = c.TakeReady(1);
  EXPECT_FALSE(rd.hard_state.has_value()) << "a pre-vote must not be persisted state";
  ASSERT_EQ(rd.persisted_messages.size(), 1u);
  EXPECT_EQ(rd.persisted_messages[0].type, MessageType::kPreVoteResp);
  EXPECT_FALSE(rd.persisted_messages[0].reject);
  EXPECT_EQ(c.raft(1).term(), 0u);
  EXPECT_EQ(c.raft(1).vote(), kNoNode);
}

}  // namespace
}  // namespace cairn::raft::test
