// Proposals fail fast and say why: no leader, not the leader (and who is),
// or too much uncommitted data (backpressure).

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

TEST(ProposalTest, NoLeaderFailsAtOnce) {
  Cluster c(3);
  auto p = c.raft(1).Propose("x");
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_EQ(p.status().message(), "no leader");
  auto cc = c.raft(1).ProposeConfChange(ConfChange{});
  EXPECT_EQ(cc.status().code(), Code::kUnavailable);
  EXPECT_EQ(c.raft(1).log().LastIndex(), 0u);
  EXPECT_FALSE(c.raft(1).HasReady());
}

TEST(ProposalTest, FollowerNamesTheLeader) {
  Cluster c(3);
  c.Elect(2);
  auto p = c.raft(1).Propose("x");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("2"), std::string::npos) << p.status().message();
  const Index last = c.raft(1).log().LastIndex();
  c.Stabilize();
  EXPECT_EQ(c.raft(2).log().LastIndex(), last) << "nothing was forwarded";
}

TEST(ProposalTest, CandidateHasNoLeader) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(2);
  while (c.raft(2).role() == Role::kFollower)
    c.Tick(2);
  auto p = c.raft(2).Propose("x");
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_EQ(p.status().message(), "no leader");
}

TEST(ProposalTest, TooManyUncommittedBytesIsResourceExhausted) {
  Config cfg = TestConfig();
  cfg.max_uncommitted_bytes = 1000;
  Cluster c(3, 0, cfg);
  c.Elect(1);
  // Nothing commits while the followers are away.
  c.Isolate(2);
  c.Isolate(3);
  int accepted = 0;
  Status refused;
  for (int i = 0; i < 20; i++) {
    auto p = c.raft(1).Propose(std::string(100, 'x'));
    if (!p.ok()) {
      refused = p.status();
      break;
    }
    accepted++;
    c.Stabilize();
  }
  EXPECT_EQ(refused.code(), Code::kResourceExhausted) << refused.ToString();
  EXPECT_GE(accepted, 5);
  EXPECT_LE(accepted * 100, 1000);
  const Index last = c.raft(1).log().LastIndex();
  EXPECT_FALSE(c.raft(1).Propose(std::string(100, 'y')).ok());
  EXPECT_EQ(c.raft(1).log().LastIndex(), last) << "a refused proposal appends nothing";

  // Once the backlog commits there is room again.
  c.Heal();
  c.TickAll(3);
  EXPECT_EQ(c.raft(1).commit(), last);
  EXPECT_TRUE(c.raft(1).Propose(std::string(100, 'y')).ok());
}

TEST(ProposalTest, OneLargeProposalIsAcceptedWhenNothingIsUncommitted) {
  // Otherwise an entry above the limit could never be written at all.
  Config cfg = TestConfig();
  cfg.max_uncommitted_bytes = 100;
  Cluster c(3, 0, cfg);
  c.Elect(1);
  EXPECT_TRUE(c.raft(1).Propose(std::string(500, 'x')).ok());
  EXPECT_EQ(c.raft(1).Propose("y").status().code(), Code::kResourceExhausted);
  c.Stabilize();
  EXPECT_TRUE(c.raft(1).Propose("y").ok());
}

TEST(ProposalTest, EntriesOfAFormerLeaderThatNeverCommittedAreDropped) {
  // A proposal's id tells its fate: the entry applied at its index has
  // another term when it was lost.
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  auto lost = c.raft(1).Propose("lost");
  ASSERT_TRUE(lost.ok());
  c.Stabilize();
  c.Elect(2);
  ASSERT_TRUE(c.raft(2).Propose("kept").ok());
  c.Stabilize();
  c.Heal();
  c.TickAll(3);
  EXPECT_EQ(c.AppliedData(1), (std::vector<std::string>{"kept"}));
  bool found = false;
  for (const Entry& e : c.node(1).applied) {
    if (e.index == lost->index) {
      found = true;
      EXPECT_NE(e.term, lost->term);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace cairn::raft::test
