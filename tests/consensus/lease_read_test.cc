// Lease reads: while a quorum acknowledged the leader recently enough that
// none of them can have helped elect another, reads need no round trip.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

Config LeaseConfig() {
  Config cfg = TestConfig();
  cfg.lease_reads = true;
  return cfg;
}

TEST(LeaseReadTest, AnsweredWithoutAHeartbeatRoundWhileTheLeaseHolds) {
  Cluster c(3, 0, LeaseConfig());
  c.Elect(1);
  c.TickAll();  // a heartbeat round dates the lease
  ASSERT_TRUE(c.raft(1).LeaseValid());
  c.ClearSent();
  ASSERT_TRUE(c.raft(1).ReadIndex(1).ok());
  Ready rd = c.TakeReady(1);
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0], (ReadState{1, c.raft(1).commit()}));
  for (const Message& m : rd.messages)
    EXPECT_NE(m.type, MessageType::kHeartbeat);
  c.Send(rd.messages);
  c.Persist(1, rd);
  c.Apply(1, rd);
  c.Advance(1);
}

TEST(LeaseReadTest, LeaseEndsAfterElectionTicksMinusDriftOfQuorumSilence) {
  Cluster c(3, 0, LeaseConfig());
  c.Elect(1);
  c.TickAll(3);
  ASSERT_TRUE(c.raft(1).LeaseValid());
  // From here on the leader hears nothing.
  c.Isolate(1);
  const Config cfg = LeaseConfig();
  const int window = cfg.election_ticks - cfg.lease_drift_ticks;
  for (int silent = 1; silent < window; silent++) {
    c.TickAll();
    EXPECT_TRUE(c.raft(1).LeaseValid()) << "after " << silent << " silent ticks";
  }
  c.TickAll();
  EXPECT_FALSE(c.raft(1).LeaseValid()) << "after " << window << " silent ticks";
  ASSERT_EQ(c.raft(1).role(), Role::kLeader) << "CheckQuorum is not what ended it";

  // A read now needs a heartbeat round, which cannot complete.
  ASSERT_TRUE(c.raft(1).ReadIndex(2).ok());
  c.ProcessReady(1);
  EXPECT_TRUE(c.node(1).read_states.empty());
}

TEST(LeaseReadTest, OldLeaderLeaseExpiresBeforeAnyoneElseLeads) {
  for (uint64_t seed = 1; seed <= 10; seed++) {
    Cluster c(3, 0, LeaseConfig(), seed);
    const NodeId old = c.TickUntilLeader();
    ASSERT_NE(old, kNoNode);
    c.TickAll(2);
    c.Isolate(old);
    for (int i = 0; i < 100; i++) {
      c.TickAll();
      const NodeId now = c.Leader();
      if (now != old && now != kNoNode) {
        EXPECT_FALSE(c.raft(old).LeaseValid()) << "seed " << seed << ": two valid leases";
      }
    }
    EXPECT_NE(c.Leader(), old) << "seed " << seed;
  }
}

TEST(LeaseReadTest, TransferDisablesTheLease) {
  Cluster c(3, 0, LeaseConfig());
  c.Elect(1);
  c.TickAll();
  ASSERT_TRUE(c.raft(1).LeaseValid());
  // The target's forced campaign overrides followers' leases, so ours can
  // no longer be trusted.
  c.Isolate(2);
  ASSERT_TRUE(c.raft(1).TransferLeadership(2).ok());
  EXPECT_FALSE(c.raft(1).LeaseValid());
}

TEST(LeaseReadTest, LeaseNeedsAnEntryOfTheCurrentTerm) {
  Cluster c(3, 0, LeaseConfig());
  c.ForceCampaign(1);
  const auto app = OfType(MessageType::kApp);
  c.Stabilize(app);
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  // Followers acknowledge a heartbeat, but the no-op is held back: an
  // earlier leader's writes may be committed beyond our commit index.
  c.Tick(1);
  c.Stabilize(app);
  ASSERT_GT(c.raft(1).progress().at(2).acked_lease_tick, 0u);
  EXPECT_FALSE(c.raft(1).LeaseValid());
  c.Stabilize();
  EXPECT_TRUE(c.raft(1).LeaseValid());
}

}  // namespace
}  // namespace cairn::raft::test
