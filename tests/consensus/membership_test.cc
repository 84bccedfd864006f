// Membership changes: joint consensus (enter, decide with both majorities,
// leave) and single-server steps, one change at a time.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

ConfChange Change(std::vector<ConfChangeItem> items, bool explicit_leave = false) {
  ConfChange cc;
  cc.changes = std::move(items);
  cc.explicit_leave = explicit_leave;
  return cc;
}

ConfChangeItem AddVoter(NodeId id) {
  return {ConfChangeType::kAddVoter, id};
}
ConfChangeItem AddLearner(NodeId id) {
  return {ConfChangeType::kAddLearner, id};
}
ConfChangeItem Remove(NodeId id) {
  return {ConfChangeType::kRemoveNode, id};
}

// A node that is not yet a member: it knows the current voters, so it never
// campaigns, and waits to hear from the leader.
void AddSpare(Cluster& c, NodeId id, const ConfState& conf) {
  InitialState s;
  s.conf = conf;
  c.AddNode(id, s);
}

TEST(MembershipTest, JointConsensusNeedsBothMajoritiesThenLeavesExplicitly) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  AddSpare(c, 5, Voters({1, 2, 3}));
  // {1,2,3} -> {1,4,5}: two voters in, two out.
  auto id = c.raft(1).ProposeConfChange(
      Change({AddVoter(4), AddVoter(5), Remove(2), Remove(3)}, /*explicit_leave=*/true));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  c.Stabilize();
  ConfState joint = Voters({1, 4, 5});
  joint.voters_outgoing = {1, 2, 3};
  for (NodeId n : {1, 2, 3, 4, 5})
    EXPECT_EQ(c.raft(n).conf(), joint) << "node " << n;

  // The old majority alone commits nothing...
  const auto new_side = Or(Touches(4), Touches(5));
  auto x = c.raft(1).Propose("x");
  ASSERT_TRUE(x.ok());
  c.Stabilize(new_side);
  EXPECT_LT(c.raft(1).commit(), x->index);
  c.Stabilize();
  EXPECT_EQ(c.raft(1).commit(), x->index);
  // ...and neither does the new majority alone.
  const auto old_side = Or(Touches(2), Touches(3));
  auto y = c.raft(1).Propose("y");
  ASSERT_TRUE(y.ok());
  c.Stabilize(old_side);
  EXPECT_LT(c.raft(1).commit(), y->index);
  c.Stabilize();
  EXPECT_EQ(c.raft(1).commit(), y->index);

  // Nothing but leaving is allowed while joint.
  EXPECT_FALSE(c.raft(1).ProposeConfChange(Change({AddVoter(6)})).ok());
  ASSERT_TRUE(c.raft(1).ProposeConfChange(ConfChange{}).ok());
  c.Stabilize();
  for (NodeId n : {1, 4, 5})
    EXPECT_EQ(c.raft(n).conf(), Voters({1, 4, 5})) << "node " << n;
  // The new configuration alone decides now.
  auto z = c.raft(1).Propose("z");
  ASSERT_TRUE(z.ok());
  c.Stabilize(old_side);
  EXPECT_EQ(c.raft(1).commit(), z->index);
  EXPECT_EQ(c.AppliedData(5), (std::vector<std::string>{"x", "y", "z"}));
}

TEST(MembershipTest, JointConsensusIsLeftAutomatically) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  AddSpare(c, 5, Voters({1, 2, 3}));
  auto id = c.raft(1).ProposeConfChange(Change({AddVoter(4), AddVoter(5)}));
  ASSERT_TRUE(id.ok());
  c.Stabilize();
  for (NodeId n : c.ids())
    EXPECT_EQ(c.raft(n).conf(), Voters({1, 2, 3, 4, 5})) << "node " << n;
  // The log shows the way through: the joint entry, then the leader's own
  // empty change that leaves it.
  const RaftLog& log = c.raft(1).log();
  ASSERT_EQ(log.LastIndex(), id->index + 1);
  EXPECT_EQ(log.At(id->index).type, EntryType::kConfChange);
  const Entry& leave = log.At(id->index + 1);
  EXPECT_EQ(leave.type, EntryType::kConfChange);
  auto decoded = DecodeConfChange(leave.data);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->LeaveJoint());
  // Five voters now: three acknowledgements are needed.
  const auto two_down = Or(Touches(4), Touches(5));
  auto x = c.raft(1).Propose("x");
  ASSERT_TRUE(x.ok());
  c.Stabilize(Or(two_down, Touches(3)));
  EXPECT_LT(c.raft(1).commit(), x->index);
  c.Stabilize(two_down);
  EXPECT_EQ(c.raft(1).commit(), x->index);
}

bool Carries(const Message& m, Index index) {
  for (const Entry& e : m.entries) {
    if (e.index == index) return true;
  }
  return false;
}

TEST(MembershipTest, NewLeaderLeavesAJointConfigurationItInherited) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  AddSpare(c, 5, Voters({1, 2, 3}));
  auto id = c.raft(1).ProposeConfChange(Change({AddVoter(4), AddVoter(5)}));
  ASSERT_TRUE(id.ok());
  // The joint entry commits and a heartbeat tells nodes 2 and 3 so, but
  // node 1's automatic leave entry never gets out before node 1 dies.
  const Index leave = id->index + 1;
  const auto carries_leave = [leave](const Message& m) {
    return m.type == MessageType::kApp && Carries(m, leave);
  };
  c.Stabilize(carries_leave);
  c.Tick(1);
  c.Stabilize(carries_leave);
  c.DropInFlight(carries_leave);
  ASSERT_EQ(c.raft(1).log().LastIndex(), leave);
  ASSERT_TRUE(c.raft(2).conf().Joint());
  ASSERT_TRUE(c.raft(2).conf().auto_leave);
  c.Isolate(1);

  c.Elect(2);
  c.TickAll(5);
  // Auto-leave is a promise of the configuration, not of one leader: the
  // new leader must leave the joint state itself.
  EXPECT_EQ(c.raft(2).conf(), Voters({1, 2, 3, 4, 5})) << c.raft(2).Describe();
}

TEST(MembershipTest, AddAndRemoveVotersOneAtATime) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  ASSERT_TRUE(c.raft(1).ProposeConfChange(Change({AddVoter(4)})).ok());
  c.Stabilize();
  for (NodeId n : c.ids())
    EXPECT_EQ(c.raft(n).conf(), Voters({1, 2, 3, 4})) << "node " << n;
  EXPECT_TRUE(c.raft(4).Promotable());
  EXPECT_EQ(c.raft(4).log().LastIndex(), c.raft(1).log().LastIndex());

  ASSERT_TRUE(c.raft(1).ProposeConfChange(Change({Remove(3)})).ok());
  c.Stabilize();
  EXPECT_EQ(c.raft(1).conf(), Voters({1, 2, 4}));
  EXPECT_EQ(c.raft(1).progress().count(3), 0u);
  // Node 3 no longer matters: 2 of {1,2,4} commit.
  c.Isolate(3);
  auto x = c.raft(1).Propose("x");
  ASSERT_TRUE(x.ok());
  c.Stabilize(Touches(4));
  EXPECT_EQ(c.raft(1).commit(), x->index);
}

TEST(MembershipTest, RemovingTheLeaderMakesItStepDown) {
  Cluster c(3);
  c.Elect(1);
  auto id = c.raft(1).ProposeConfChange(Change({Remove(1)}));
  ASSERT_TRUE(id.ok());
  c.Stabilize();
  // It led until the change committed, then stepped down.
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_FALSE(c.raft(1).Promotable());
  EXPECT_GE(c.raft(1).commit(), id->index);
  // The remaining voters elect one of themselves and carry on without it.
  c.Isolate(1);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_TRUE(leader == 2 || leader == 3) << leader;
  EXPECT_EQ(c.raft(leader).conf(), Voters({2, 3}));
  ASSERT_TRUE(c.raft(leader).Propose("x").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(2), (std::vector<std::string>{"x"}));
  EXPECT_EQ(c.AppliedData(3), (std::vector<std::string>{"x"}));
  c.Heal();
  c.TickAll(50);
  EXPECT_EQ(c.Leader(), leader);
  EXPECT_NE(c.raft(1).role(), Role::kLeader);
}

TEST(MembershipTest, CandidateNeedsAQuorumOfEveryMembershipInItsLog) {
  // Node 3's durable commit index lags the configuration entries it holds
  // (entries synced without the hard state that committed them). Those
  // changes may be in force elsewhere: a majority of the old voters {1,2,3}
  // alone must not elect it when the log also makes {1,2,3,4,5} voters.
  auto conf_entry = [](Index index, NodeId add) {
    Entry e;
    e.index = index;
    e.term = 1;
    e.type = EntryType::kConfChange;
    e.data = EncodeConfChange({{{ConfChangeType::kAddVoter, add}}});
    return e;
  };
  InitialState st;
  st.conf = Voters({1, 2, 3});
  st.hard_state = {1, kNoNode, 0};
  st.entries = {conf_entry(1, 4), conf_entry(2, 5)};
  Cluster c(TestConfig(), 1);
  for (NodeId id = 1; id <= 5; id++)
    c.AddNode(id, st);
  c.Isolate(1);
  c.Isolate(4);
  c.Isolate(5);
  c.TickAll(TestConfig().election_ticks);  // past the start-up vote guard
  c.ForceCampaign(3);
  c.Stabilize();
  EXPECT_NE(c.raft(3).role(), Role::kLeader) << "won with {2,3} of {1,2,3,4,5}";

  c.Heal();
  c.Isolate(1);
  c.Isolate(5);
  c.ForceCampaign(3);
  c.Stabilize();
  EXPECT_EQ(c.raft(3).role(), Role::kLeader) << "{2,3,4} is a majority of every membership";
}

TEST(MembershipTest, SecondChangeWhileOneIsPendingIsRefused) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  AddSpare(c, 5, Voters({1, 2, 3}));
  ASSERT_TRUE(c.raft(1).ProposeConfChange(Change({AddVoter(4)})).ok());
  const Index last = c.raft(1).log().LastIndex();
  auto second = c.raft(1).ProposeConfChange(Change({AddVoter(5)}));
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(c.raft(1).log().LastIndex(), last) << "a refused change appends nothing";
  c.Stabilize();
  EXPECT_TRUE(c.raft(1).ProposeConfChange(Change({AddVoter(5)})).ok());
  c.Stabilize();
  EXPECT_EQ(c.raft(1).conf(), Voters({1, 2, 3, 4, 5}));
}

TEST(MembershipTest, NewLeaderRefusesChangesUntilItsFirstEntryCommits) {
  Cluster c(3);
  c.Elect(1);
  // Node 2 inherits an entry it cannot know to be committed (the acks for
  // it never reached node 1).
  const auto ack = OfType(MessageType::kAppResp);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize(ack);
  c.DropInFlight(ack);
  c.ForceCampaign(2);
  c.Stabilize(OfType(MessageType::kApp));
  ASSERT_EQ(c.raft(2).role(), Role::kLeader);
  ASSERT_LT(c.raft(2).commit(), c.raft(2).log().LastIndex() - 1);
  // That entry might have been a configuration change: wait for it.
  EXPECT_EQ(c.raft(2).ProposeConfChange(Change({Remove(3)})).status().code(),
            Code::kFailedPrecondition);
  c.Stabilize();
  EXPECT_TRUE(c.raft(2).ProposeConfChange(Change({Remove(3)})).ok());
}

TEST(MembershipTest, InvalidChangesAreRefusedAtProposal) {
  Cluster c(3);
  c.Elect(1);
  const Index last = c.raft(1).log().LastIndex();
  EXPECT_FALSE(c.raft(1).ProposeConfChange(Change({Remove(1), Remove(2), Remove(3)})).ok());
  EXPECT_FALSE(c.raft(1).ProposeConfChange(ConfChange{}).ok()) << "not joint: nothing to leave";
  EXPECT_FALSE(c.raft(1).ProposeConfChange(Change({AddVoter(0)})).ok()) << "id 0 is reserved";
  EXPECT_EQ(c.raft(1).log().LastIndex(), last);
}

TEST(MembershipTest, VoterDemotedToLearnerKeepsReceivingEntries) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).ProposeConfChange(Change({AddLearner(3)})).ok());
  c.Stabilize();
  ConfState want = Voters({1, 2}, {3});
  EXPECT_EQ(c.raft(1).conf(), want);
  EXPECT_FALSE(c.raft(3).Promotable());
  EXPECT_TRUE(c.raft(1).progress().at(3).learner);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(3), (std::vector<std::string>{"x"}));
}

TEST(MembershipTest, RestartedNodeRebuildsMembershipFromItsLog) {
  Cluster c(3);
  c.Elect(1);
  AddSpare(c, 4, Voters({1, 2, 3}));
  ASSERT_TRUE(c.raft(1).ProposeConfChange(Change({AddVoter(4)})).ok());
  c.Stabilize();
  c.TickAll();  // everyone learns the commit index
  c.Restart(2);
  c.Restart(4);
  EXPECT_EQ(c.raft(2).conf(), Voters({1, 2, 3, 4}));
  EXPECT_EQ(c.raft(4).conf(), Voters({1, 2, 3, 4}));
}

}  // namespace
}  // namespace cairn::raft::test
