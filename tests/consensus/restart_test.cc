// Restart: a node rebuilt from what it persisted (hard state, snapshot,
// entries) is the same voter it was: same term, same vote, same log.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

Message Vote(NodeId from, NodeId to, Term term) {
  Message m;
  m.type = MessageType::kVote;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

bool Granted(Cluster& c, NodeId voter, NodeId candidate) {
  for (const Message& m : c.sent()) {
    if (m.type == MessageType::kVoteResp && m.from == voter && m.to == candidate) return !m.reject;
  }
  ADD_FAILURE() << "no answer from " << voter << " to " << candidate;
  return false;
}

// Node 1 votes for 2 in term 5, restarts, and is asked by 3 in term 5.
void VoteRestartAsk(Cluster& c) {
  c.in_flight().push_back(Vote(2, 1, 5));
  c.Deliver();
  c.ProcessReady(1);
  ASSERT_TRUE(Granted(c, 1, 2));
  c.Restart(1);
  c.in_flight().clear();
  c.in_flight().push_back(Vote(3, 1, 5));
  c.Deliver();
  c.ProcessReady(1);
}

Config NoLease() {
  // The vote request comes from a node this one never heard as leader.
  Config cfg = TestConfig();
  cfg.check_quorum = false;
  return cfg;
}

TEST(RestartTest, RemembersItsTermAndVote) {
  Cluster c(3, 0, NoLease());
  VoteRestartAsk(c);
  EXPECT_EQ(c.raft(1).term(), 5u);
  EXPECT_EQ(c.raft(1).vote(), 2u);
  EXPECT_FALSE(Granted(c, 1, 3)) << "voted twice in one term across a restart";
}

// The planted defect does not persist the vote; the test above must see it.
TEST(RestartTest, PlantedForgetVoteBugIsCaught) {
  Config cfg = NoLease();
  cfg.planted_bug = PlantedBug::kForgetVote;
  Cluster c(3, 0, cfg);
  VoteRestartAsk(c);
  EXPECT_TRUE(Granted(c, 1, 3)) << "the planted bug should make node 1 vote twice";
}

TEST(RestartTest, RecoversLogCommitAndSnapshotAndRejoins) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 10; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  c.TickAll();
  ASSERT_TRUE(c.CreateSnapshot(2, c.raft(2).applied() - 3, "snap").ok());
  for (int i = 10; i < 13; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  c.TickAll();

  const Raft& before = c.raft(2);
  const Term term = before.term();
  const NodeId vote = before.vote();
  const Index commit = before.commit();
  const Index last = before.log().LastIndex();
  const SnapshotMeta snap = before.snapshot().meta;
  c.Restart(2);
  const Raft& after = c.raft(2);
  EXPECT_EQ(after.term(), term);
  EXPECT_EQ(after.vote(), vote);
  EXPECT_EQ(after.commit(), commit);
  EXPECT_EQ(after.log().LastIndex(), last);
  EXPECT_EQ(after.snapshot().meta, snap);
  EXPECT_EQ(after.log().FirstIndex(), snap.index + 1);
  EXPECT_EQ(after.conf(), Voters({1, 2, 3}));
  EXPECT_EQ(after.role(), Role::kFollower);
  // Nothing is applied twice: the state machine kept its applied index.
  EXPECT_EQ(after.applied(), c.node(2).applied_index);

  ASSERT_TRUE(c.raft(1).Propose("after").ok());
  c.TickAll(2);
  EXPECT_EQ(c.AppliedData(2).back(), "after");
  EXPECT_EQ(c.AppliedData(2).size(), 14u);
}

TEST(RestartTest, WholeClusterRestartsAndElectsALeaderWithEverything) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 5; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  for (NodeId id : c.ids())
    c.Restart(id);
  c.in_flight().clear();
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  ASSERT_TRUE(c.raft(leader).Propose("after").ok());
  c.Stabilize();
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.AppliedData(id).size(), 6u) << "node " << id;
  }
}

TEST(RestartTest, UnpersistedEntriesAreForgottenAndReReplicated) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  // Node 3 receives the append but crashes before writing it.
  c.Stabilize(To(3));
  c.Deliver(To(3));
  (void)c.TakeReady(3);
  c.Restart(3);
  EXPECT_LT(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
  c.TickAll(2);
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
  EXPECT_EQ(c.AppliedData(3), (std::vector<std::string>{"x"}));
}

}  // namespace
}  // namespace cairn::raft::test
