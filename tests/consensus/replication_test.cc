// Log replication: entries reach every node in order, divergent follower
// logs are repaired in few round trips, and lost appends are recovered.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

TEST(ReplicationTest, ProposalsCommitAndApplyInOrderEverywhere) {
  Cluster c(3);
  const NodeId leader = c.TickUntilLeader();
  ASSERT_NE(leader, kNoNode);
  std::vector<std::string> want;
  for (int i = 0; i < 20; i++) {
    want.push_back("v" + std::to_string(i));
    auto id = c.raft(leader).Propose(want.back());
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->term, c.raft(leader).term());
    if (i % 3 == 0) c.Stabilize();
  }
  c.Stabilize();
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.AppliedData(id), want) << "node " << id;
    EXPECT_EQ(c.raft(id).commit(), c.raft(leader).log().LastIndex());
    EXPECT_EQ(c.node(id).storage.LastIndex(), c.raft(leader).log().LastIndex());
  }
}

TEST(ReplicationTest, ProposalIdNamesWhereTheEntryLanded) {
  Cluster c(3);
  c.Elect(1);
  auto id = c.raft(1).Propose("x");
  ASSERT_TRUE(id.ok());
  c.Stabilize();
  const Entry& e = c.node(2).applied.back();
  EXPECT_EQ(e.index, id->index);
  EXPECT_EQ(e.term, id->term);
  EXPECT_EQ(e.data, "x");
}

// A three-node cluster whose node 2 holds a long uncommitted suffix from an
// old term that the other two never saw. Node 1 is then elected.
struct Divergence {
  std::vector<Entry> leader_log;
  std::vector<Entry> follower_log;
};

void ExpectRepairedQuickly(const Divergence& d) {
  Cluster c(TestConfig(), 1);
  const ConfState conf = Voters({1, 2, 3});
  Term term = 0;
  for (const auto& e : d.leader_log)
    term = std::max(term, e.term);
  for (const auto& e : d.follower_log)
    term = std::max(term, e.term);
  auto init = [&](const std::vector<Entry>& log) {
    InitialState s;
    s.hard_state = HardState{term, kNoNode, 3};
    s.entries = log;
    s.conf = conf;
    return s;
  };
  c.AddNode(1, init(d.leader_log));
  c.AddNode(2, init(d.follower_log));
  c.AddNode(3, init(d.leader_log));
  c.Stabilize();
  c.ClearSent();
  c.Elect(1);

  // The follower ends with exactly the leader's log.
  const RaftLog& want = c.raft(1).log();
  const RaftLog& got = c.raft(2).log();
  ASSERT_EQ(got.LastIndex(), want.LastIndex());
  for (Index i = 1; i <= want.LastIndex(); i++) {
    EXPECT_EQ(got.At(i), want.At(i)) << "index " << i;
  }
  EXPECT_EQ(c.node(2).storage.entries, c.node(1).storage.entries);
  // Fast back-off: one rejection finds the match point, whatever the
  // length of the divergent suffix (a one-by-one probe would need ~100).
  const size_t rejections = c.CountSent(
      [](const Message& m) { return m.type == MessageType::kAppResp && m.from == 2 && m.reject; });
  EXPECT_LE(rejections, 1u);
  const size_t apps = c.CountSent(And(OfType(MessageType::kApp), To(2)));
  // The probe, the repair, and at most one bare commit notice.
  EXPECT_LE(apps, 3u);
  // The commit index reaches the repaired follower by the next heartbeat at
  // the latest.
  c.TickAll();
  EXPECT_EQ(c.raft(2).commit(), want.LastIndex());
}

std::vector<Entry> Concat(std::vector<Entry> a, const std::vector<Entry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ReplicationTest, LongDivergentFollowerSuffixIsRepairedInOneRoundTrip) {
  ExpectRepairedQuickly(
      {Concat(Entries(1, 3, 1), Entries(4, 6, 4)), Concat(Entries(1, 3, 1), Entries(4, 103, 2))});
}

TEST(ReplicationTest, DivergentSuffixAsLongAsTheLeadersIsRepairedInOneRoundTrip) {
  ExpectRepairedQuickly(
      {Concat(Entries(1, 3, 1), Entries(4, 103, 4)), Concat(Entries(1, 3, 1), Entries(4, 103, 2))});
}

TEST(ReplicationTest, SharedTermPrefixIsKeptAndOnlyTheConflictReplaced) {
  // The follower shares entries 4..20 of term 2 with the leader, then has
  // term-2 and term-3 entries the leader never had.
  ExpectRepairedQuickly({Concat(Concat(Entries(1, 3, 1), Entries(4, 20, 2)), Entries(21, 30, 5)),
                         Concat(Concat(Entries(1, 3, 1), Entries(4, 60, 2)), Entries(61, 100, 3))});
}

TEST(ReplicationTest, FollowerThatMissedAppendsCatchesUpWhileTheClusterIsIdle) {
  // Appends to a replicating follower are lost; nothing new is proposed
  // afterwards. Heartbeat responses must reveal the gap and the leader
  // resend: otherwise the follower lags (and a read or transfer waiting on
  // it stalls) until some unrelated proposal happens along.
  Cluster c(3);
  c.Elect(1);
  c.TickAll(2);
  ASSERT_EQ(c.raft(1).progress().at(3).state, Progress::State::kReplicate);
  c.Isolate(3);
  for (int i = 0; i < 5; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  c.Heal();
  c.TickAll(5);
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex())
      << "leader progress for 3: " << c.raft(1).progress().at(3).ToString();
  EXPECT_EQ(c.AppliedData(3).size(), 5u);
}

TEST(ReplicationTest, FollowerThatMissedAppendsCatchesUpOnTheNextProposal) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(2);
  c.Isolate(3);
  for (int i = 0; i < 5; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  c.Heal();
  ASSERT_TRUE(c.raft(1).Propose("p5").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(3).size(), 6u);
}

TEST(ReplicationTest, AnswerToAStaleAppendIsNoAcknowledgementForTheNewLeader) {
  // Node 1 leads, compacts, later is elected again. An append it sent in its old
  // term reaches node 2 late; node 2's answer carries the new term. Read as
  // an acknowledgement of index 0 it would send node 2 a needless snapshot.
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 5; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  ASSERT_TRUE(c.CreateSnapshot(1, c.raft(1).applied(), "s").ok());
  const Term old_term = c.raft(1).term();
  c.Elect(2);
  c.ForceCampaign(1);
  c.ProcessAllReady();
  c.Deliver(OfType(MessageType::kVote));
  c.ProcessAllReady();
  c.Deliver(OfType(MessageType::kVoteResp));
  c.ProcessAllReady();
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  ASSERT_EQ(c.raft(1).progress().at(2).state, Progress::State::kProbe);
  c.DropInFlight([](const Message&) { return true; });
  Message stale;
  stale.type = MessageType::kApp;
  stale.from = 1;
  stale.to = 2;
  stale.term = old_term;
  stale.index = c.raft(1).log().LastIndex();
  stale.log_term = old_term;
  c.in_flight().push_back(stale);
  c.ClearSent();
  c.Deliver();
  c.ProcessAllReady();
  c.Deliver(And(From(2), OfType(MessageType::kAppResp)));
  c.ProcessAllReady();
  EXPECT_EQ(c.CountSent(OfType(MessageType::kSnapshot)), 0u);
  EXPECT_NE(c.raft(1).progress().at(2).next, 1u);
}

TEST(ReplicationTest, StaleLeaderStepsDownOnHearingTheNewTerm) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  c.Elect(2);
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);  // it has not noticed yet
  c.Heal();
  // Its next heartbeat is answered with the newer term.
  c.TickAll();
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), c.raft(2).term());
  EXPECT_EQ(c.Leader(), 2u);
}

}  // namespace
}  // namespace cairn::raft::test
