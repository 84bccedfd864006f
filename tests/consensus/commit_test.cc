// When an entry counts as committed: a majority must hold it durably (the
// leader's copy counts only once written), and counting replicas commits
// only entries of the leader's own term (Raft §5.4.2).

#include <gtest/gtest.h>

#include <memory>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

bool Carries(const Message& m, Index index) {
  for (const Entry& e : m.entries) {
    if (e.index == index) return true;
  }
  return false;
}

TEST(CommitTest, LeaderSendsBeforePersistingButCountsItselfOnlyAfterAdvance) {
  Cluster c(3);
  c.Elect(1);
  auto id = c.raft(1).Propose("x");
  ASSERT_TRUE(id.ok());

  Ready rd = c.TakeReady(1);
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].data, "x");
  // The appends are sendable now, in parallel with the leader's own write.
  size_t apps = 0;
  for (const Message& m : rd.messages)
    apps += m.type == MessageType::kApp && Carries(m, id->index);
  EXPECT_EQ(apps, 2u);
  for (const Message& m : rd.persisted_messages)
    EXPECT_NE(m.type, MessageType::kApp);
  c.Send(rd.messages);

  // Node 2 stores the entry; its acknowledgement vouches for its disk, so it
  // is held back until the write is done.
  c.Deliver(To(2));
  c.DropInFlight(To(3));
  Ready frd = c.TakeReady(2);
  for (const Message& m : frd.messages)
    EXPECT_NE(m.type, MessageType::kAppResp);
  ASSERT_EQ(frd.persisted_messages.size(), 1u);
  EXPECT_EQ(frd.persisted_messages[0].type, MessageType::kAppResp);
  EXPECT_EQ(frd.persisted_messages[0].index, id->index);
  c.Persist(2, frd);
  c.Send(frd.persisted_messages);
  c.Apply(2, frd);
  c.Advance(2);
  c.Deliver(To(1));

  // Leader + node 2 would be a majority, but the leader's copy is not on
  // disk yet: not committed.
  EXPECT_LT(c.raft(1).commit(), id->index);

  c.Persist(1, rd);
  c.Send(rd.persisted_messages);
  c.Apply(1, rd);
  c.Advance(1);
  EXPECT_EQ(c.raft(1).commit(), id->index);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"x"}));
}

TEST(CommitTest, TwoFollowerAcksCommitWithoutWaitingForTheLeadersDisk) {
  Cluster c(3);
  c.Elect(1);
  auto id = c.raft(1).Propose("x");
  ASSERT_TRUE(id.ok());
  Ready rd = c.TakeReady(1);
  c.Send(rd.messages);
  c.Deliver();
  c.ProcessReady(2);
  c.ProcessReady(3);
  c.Deliver();
  // The followers alone are a majority of three.
  EXPECT_EQ(c.raft(1).commit(), id->index);
  c.Persist(1, rd);
  c.Send(rd.persisted_messages);
  c.Apply(1, rd);
  c.Advance(1);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"x"}));
}

TEST(CommitTest, SingleNodeCommitsOnlyAfterItsOwnWrite) {
  Cluster c(1);
  c.Elect(1);
  auto id = c.raft(1).Propose("x");
  ASSERT_TRUE(id.ok());
  Ready rd = c.TakeReady(1);
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_LT(c.raft(1).commit(), id->index);
  c.Persist(1, rd);
  c.Apply(1, rd);
  c.Advance(1);
  EXPECT_EQ(c.raft(1).commit(), id->index);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"x"}));
}

// Figure 8 of the Raft paper. S1 led term 2 and put entry 2 on S2 only; S5
// led term 3 and wrote a different entry 2 nowhere else. Now S1 wins term 4
// (votes of S2, S3, S4) and copies its term-2 entry to S3: a majority holds
// it, but it must not count as committed, because S5 can still win term 5
// with S3 and S4 and overwrite it.
std::unique_ptr<Cluster> Figure8(PlantedBug bug) {
  Config cfg = TestConfig();
  cfg.max_msg_bytes = 1;  // one entry per append, to stop between them
  cfg.planted_bug = bug;
  auto c = std::make_unique<Cluster>(cfg, 1);
  auto node = [](std::vector<Entry> log) {
    InitialState s;
    s.hard_state = HardState{3, kNoNode, 1};
    s.entries = std::move(log);
    s.conf = Voters({1, 2, 3, 4, 5});
    return s;
  };
  const Entry e1{1, 1, EntryType::kNormal, "one"};
  const Entry e2_t2{2, 2, EntryType::kNormal, "S1 term 2"};
  const Entry e2_t3{3, 2, EntryType::kNormal, "S5 term 3"};
  c->AddNode(1, node({e1, e2_t2}));
  c->AddNode(2, node({e1, e2_t2}));
  c->AddNode(3, node({e1}));
  c->AddNode(4, node({e1}));
  c->AddNode(5, node({e1, e2_t3}));
  c->Stabilize();

  c->ForceCampaign(1);
  c->Stabilize(OfType(MessageType::kApp));
  EXPECT_EQ(c->raft(1).role(), Role::kLeader);
  EXPECT_EQ(c->raft(1).term(), 4u);
  // S4 and S5 are cut off from here on.
  c->Isolate(4);
  c->Isolate(5);
  c->DropInFlight(Or(To(4), To(5)));
  // S3 gets entry 2 (after one rejected probe) but not S1's term-4 no-op at
  // index 3; S2 gets the no-op.
  c->Deliver(To(3));
  c->Stabilize(
      [](const Message& m) { return m.type == MessageType::kApp && m.to == 3 && Carries(m, 3); });
  return c;
}

TEST(CommitTest, OldTermEntryOnAMajorityIsNotCommittedByCounting) {
  auto c = Figure8(PlantedBug::kNone);
  for (NodeId id : {1, 2, 3})
    ASSERT_EQ(c->raft(id).log().TermAt(2), 2u) << "node " << id;
  ASSERT_EQ(c->raft(1).progress().at(3).match, 2u);
  EXPECT_EQ(c->raft(1).commit(), 1u);

  // Once the term-4 entry reaches a majority, both commit together.
  c->Stabilize();
  EXPECT_EQ(c->raft(1).commit(), 3u);
  EXPECT_EQ(c->node(3).applied.size(), 3u);
  EXPECT_EQ(c->node(3).applied[1].term, 2u);
}

TEST(CommitTest, UncommittedOldTermEntryMayLegitimatelyBeOverwritten) {
  auto c = Figure8(PlantedBug::kNone);
  ASSERT_EQ(c->raft(1).commit(), 1u);
  // S1 crashes before its term-4 entry spreads; S5 wins with S3 and S4.
  c->DropInFlight(To(3));
  c->Heal();
  c->Isolate(1);
  c->Elect(5);
  EXPECT_EQ(c->raft(5).term(), 5u);
  c->Stabilize();
  // The term-2 entry that sat on a majority is gone, and nobody applied it.
  for (NodeId id : {2, 3, 4, 5}) {
    EXPECT_EQ(c->raft(id).log().TermAt(2), 3u) << "node " << id;
    for (const Entry& e : c->node(id).applied) {
      EXPECT_FALSE(e.index == 2 && e.term == 2) << "node " << id;
    }
  }
}

// The planted defect commits by counting; the test above must notice it.
TEST(CommitTest, PlantedCommitPreviousTermBugIsCaught) {
  auto c = Figure8(PlantedBug::kCommitPreviousTerm);
  EXPECT_EQ(c->raft(1).commit(), 2u) << "the planted bug should commit the old-term entry";
}

}  // namespace
}  // namespace cairn::raft::test
