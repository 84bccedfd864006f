// CheckQuorum: a leader that cannot reach a majority stops acting as one, and
// followers that hear from a live leader refuse to help depose it.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

TEST(CheckQuorumTest, LeaderCutOffFromMajorityStepsDownWithinTwoElectionTimeouts) {
  Cluster c(3);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  c.Isolate(leader);
  int ticks = 0;
  while (c.raft(leader).role() == Role::kLeader && ticks < 100) {
    c.TickAll();
    ticks++;
  }
  EXPECT_EQ(c.raft(leader).role(), Role::kFollower);
  EXPECT_LE(ticks, 2 * TestConfig().election_ticks);
  // And the majority side elects its own leader meanwhile.
  c.TickUntilLeader();
  EXPECT_NE(c.Leader(), leader);
  EXPECT_NE(c.Leader(), kNoNode);
}

TEST(CheckQuorumTest, LeaderWithMajorityStaysDespiteOneSilentFollower) {
  Cluster c(3);
  const NodeId leader = c.TickUntilLeader();
  const NodeId other = leader == 3 ? 2 : 3;
  c.Isolate(other);
  c.TickAll(100);
  EXPECT_EQ(c.raft(leader).role(), Role::kLeader);
}

TEST(CheckQuorumTest, FollowerInLeaseIgnoresVoteRequests) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(3);
  const Term term = c.raft(1).term();
  // Node 2 asks node 3 for a vote in a newer term while node 3 still hears
  // the leader: no answer and no term change.
  Message m;
  m.type = MessageType::kVote;
  m.from = 2;
  m.to = 3;
  m.term = term + 1;
  m.index = c.raft(2).log().LastIndex();
  m.log_term = c.raft(2).log().LastTerm();
  const NodeId vote = c.raft(3).vote();
  c.ClearSent();
  c.in_flight().push_back(m);
  c.Deliver();
  c.ProcessAllReady();
  EXPECT_EQ(c.raft(3).term(), term);
  EXPECT_EQ(c.raft(3).vote(), vote);
  EXPECT_EQ(c.CountSent(From(3)), 0u);
  EXPECT_EQ(c.raft(3).leader(), 1u);
}

TEST(CheckQuorumTest, LeaseSurvivesATermBumpByANonLeaderMessage) {
  // A stale pre-vote rejection carries a newer term and clears node 3's
  // leader; a vote request at that term must still be refused while node 3
  // heard from the leader within an election timeout, or the leader's lease
  // reads could be stale.
  Cluster c(3);
  c.Elect(1);
  c.TickAll(3);
  const Term term = c.raft(1).term();
  Message reject;
  reject.type = MessageType::kPreVoteResp;
  reject.from = 2;
  reject.to = 3;
  reject.term = term + 1;
  reject.reject = true;
  c.in_flight().push_back(reject);
  c.Deliver();
  c.ProcessAllReady();
  ASSERT_EQ(c.raft(3).term(), term + 1);
  ASSERT_EQ(c.raft(3).leader(), kNoNode);

  Message vote;
  vote.type = MessageType::kVote;
  vote.from = 2;
  vote.to = 3;
  vote.term = term + 1;
  vote.index = c.raft(2).log().LastIndex();
  vote.log_term = c.raft(2).log().LastTerm();
  c.ClearSent();
  c.in_flight().push_back(vote);
  c.Deliver();
  c.ProcessAllReady();
  EXPECT_EQ(c.raft(3).vote(), kNoNode);
  EXPECT_EQ(c.CountSent([](const Message& m) {
    return m.from == 3 && m.type == MessageType::kVoteResp && !m.reject;
  }),
            0u);
}

TEST(CheckQuorumTest, NodeCutOffFromLeaderOnlyCannotDeposeIt) {
  Cluster c(3);
  c.Elect(1);
  const Term term = c.raft(1).term();
  // Node 2 loses the leader but still reaches node 3, which does hear the
  // leader and therefore stays loyal.
  c.Cut(1, 2);
  c.Cut(2, 1);
  c.TickAll(100);
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.raft(1).term(), term);
  EXPECT_EQ(c.raft(3).term(), term);
  EXPECT_EQ(c.raft(3).leader(), 1u);
}

}  // namespace
}  // namespace cairn::raft::test
