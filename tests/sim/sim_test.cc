#include <gtest/gtest.h>

#include <string>

#include "sim/simulation.h"

namespace cairn::sim {
namespace {

using raft::PlantedBug;

SimResult RunSeed(uint64_t seed, PlantedBug bug = PlantedBug::kNone) {
  SimOptions opt;
  opt.seed = seed;
  opt.bug = bug;
  return RunSimulation(opt);
}

TEST(Simulation, SameSeedReplaysTheSameTrace) {
  for (uint64_t seed : {3u, 17u, 42u}) {
    const SimResult a = RunSeed(seed);
    const SimResult b = RunSeed(seed);
    ASSERT_TRUE(a.ok) << "seed " << seed << ": " << a.property << ": " << a.detail;
    EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed;
    EXPECT_EQ(a.events, b.events) << "seed " << seed;
    EXPECT_EQ(a.operations, b.operations) << "seed " << seed;
  }
}

TEST(Simulation, DifferentSeedsExploreDifferentRuns) {
  const SimResult a = RunSeed(1);
  const SimResult b = RunSeed(2);
  EXPECT_NE(a.trace_hash, b.trace_hash);
  EXPECT_NE(a.knobs.ToString(), b.knobs.ToString());
}

TEST(Simulation, RunsDoRealWork) {
  // A sweep that passes because nothing happened would prove nothing.
  uint64_t acked = 0, leader_changes = 0, crashes = 0, snapshots = 0, conf_changes = 0;
  for (uint64_t seed = 0; seed < 20; seed++) {
    const SimResult r = RunSeed(seed);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.property << ": " << r.detail;
    EXPECT_GT(r.acked_writes, 10u) << "seed " << seed;
    acked += r.acked_writes;
    leader_changes += r.leader_changes;
    crashes += r.crashes;
    snapshots += r.snapshots_sent;
    conf_changes += r.conf_changes;
  }
  EXPECT_GT(leader_changes, 40u);
  EXPECT_GT(crashes, 20u);
  EXPECT_GT(snapshots, 5u);
  EXPECT_GT(conf_changes, 10u);
}

// The simulator must have teeth: each planted bug is found within a bounded
// number of seeds, and reported as the property it breaks.
void ExpectCaught(PlantedBug bug, const std::string& property, uint64_t max_seeds) {
  for (uint64_t seed = 0; seed < max_seeds; seed++) {
    const SimResult r = RunSeed(seed, bug);
    if (r.ok) continue;
    EXPECT_EQ(r.property, property) << "seed " << seed << ": " << r.detail;
    EXPECT_FALSE(r.trace_tail.empty());
    return;
  }
  ADD_FAILURE() << "planted bug not found in " << max_seeds << " seeds";
}

TEST(PlantedBugs, ForgottenVoteIsCaught) {
  ExpectCaught(PlantedBug::kForgetVote, "vote durability", 20);
}

TEST(PlantedBugs, ReadIndexWithoutHeartbeatIsCaught) {
  ExpectCaught(PlantedBug::kReadIndexNoHeartbeat, "linearizability", 100);
}

TEST(PlantedBugs, CommittingAPreviousTermEntryByCountingIsCaught) {
  // Raft's Figure 8: needs an old-term entry reaching a majority one message
  // at a time while a node with a newer conflicting entry could still win.
  ExpectCaught(PlantedBug::kCommitPreviousTerm, "leader completeness", 600);
}

TEST(PlantedBugs, AppendWithoutLogMatchingIsCaught) {
  ExpectCaught(PlantedBug::kAcceptAppendWithoutMatch, "log matching", 50);
}

}  // namespace
}  // namespace cairn::sim
