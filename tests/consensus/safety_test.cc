// Randomized runs with message loss, partitions, restarts and snapshots. The
// harness asserts election safety, leader completeness and state-machine
// safety on every step; this file adds one vote per term, log matching and
// convergence once the faults stop.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

void ExpectOneVotePerTerm(const Cluster& c) {
  std::map<std::pair<NodeId, Term>, std::set<NodeId>> granted;
  for (const Message& m : c.sent()) {
    if (m.type == MessageType::kVoteResp && !m.reject) granted[{m.from, m.term}].insert(m.to);
  }
  for (const auto& [voter_term, candidates] : granted) {
    EXPECT_EQ(candidates.size(), 1u)
        << "node " << voter_term.first << " voted twice in term " << voter_term.second;
  }
}

void ExpectLogMatching(Cluster& c) {
  for (NodeId a : c.ids()) {
    for (NodeId b : c.ids()) {
      if (a >= b) continue;
      const RaftLog& la = c.raft(a).log();
      const RaftLog& lb = c.raft(b).log();
      const Index lo = std::max(la.FirstIndex(), lb.FirstIndex());
      const Index hi = std::min(la.LastIndex(), lb.LastIndex());
      // Same index and term at i means identical logs up to i.
      bool matched = false;
      for (Index i = hi; i >= lo && i > 0; i--) {
        if (!matched && la.At(i).term == lb.At(i).term) matched = true;
        if (matched) {
          EXPECT_EQ(la.At(i), lb.At(i)) << "nodes " << a << " and " << b << " at " << i;
        }
      }
    }
  }
}

TEST(SafetyTest, RandomFaultsNeverBreakTheInvariants) {
  for (uint64_t seed = 1; seed <= 30; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Cluster c(5, 0, TestConfig(), seed);
    SeededRandom rng(seed * 7919);
    const auto lossy = [&rng](const Message&) { return rng.Chance(0.1); };
    c.AddDropFilter(lossy);
    int proposals = 0;
    for (int step = 0; step < 300; step++) {
      const NodeId someone = 1 + rng.Uniform(5);
      switch (rng.Uniform(30)) {
        case 0:
          c.Isolate(someone);
          break;
        case 1:
          c.Heal();
          c.AddDropFilter(lossy);
          break;
        case 2:
          c.Restart(someone);
          break;
        case 3: {
          const Raft& r = c.raft(someone);
          if (r.applied() > r.log().snapshot_index()) {
            EXPECT_TRUE(c.CreateSnapshot(someone, r.applied(), "s" + std::to_string(step)).ok());
          }
          break;
        }
        default:
          break;
      }
      c.TickAll();
      const NodeId leader = c.Leader();
      if (leader != kNoNode && rng.Chance(0.5)) {
        if (c.raft(leader).Propose("v" + std::to_string(proposals)).ok()) proposals++;
      }
    }
    ExpectOneVotePerTerm(c);
    ExpectLogMatching(c);

    // Faults stop: everyone converges on one log.
    c.Heal();
    const NodeId leader = c.TickUntilLeader();
    ASSERT_NE(leader, kNoNode);
    ASSERT_TRUE(c.raft(leader).Propose("final").ok());
    c.TickAll(30);
    const NodeId final_leader = c.Leader();
    ASSERT_NE(final_leader, kNoNode);
    for (NodeId id : c.ids()) {
      EXPECT_EQ(c.raft(id).commit(), c.raft(final_leader).commit()) << c.raft(id).Describe();
      EXPECT_EQ(c.node(id).applied_index, c.raft(id).commit()) << "node " << id;
    }
    ExpectLogMatching(c);
    ExpectOneVotePerTerm(c);
    EXPECT_GT(proposals, 0);
  }
}

}  // namespace
}  // namespace cairn::raft::test
