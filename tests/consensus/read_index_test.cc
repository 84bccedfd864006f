// ReadIndex: a read point is handed out only once a quorum has confirmed,
// after the read arrived, that this node is still the leader.

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

const Cluster::Pred kHeartbeat = OfType(MessageType::kHeartbeat);

bool Answered(TestNode& n, uint64_t context) {
  return std::any_of(n.read_states.begin(), n.read_states.end(),
                     [&](const ReadState& rs) { return rs.context == context; });
}

TEST(ReadIndexTest, AnsweredOnlyAfterAQuorumAcknowledgesAHeartbeatRound) {
  Cluster c(3);
  c.Elect(1);
  const Index commit = c.raft(1).commit();
  c.ClearSent();
  ASSERT_TRUE(c.raft(1).ReadIndex(7).ok());
  ASSERT_TRUE(c.ProcessReady(1));
  EXPECT_FALSE(Answered(c.node(1), 7));
  EXPECT_EQ(c.CountInFlight(kHeartbeat), 2u);

  // Node 2 answers; node 3's heartbeat is still out.
  c.Deliver(And(kHeartbeat, To(2)));
  c.ProcessReady(2);
  EXPECT_FALSE(Answered(c.node(1), 7));
  c.Deliver(To(1));
  c.ProcessReady(1);
  ASSERT_EQ(c.node(1).read_states.size(), 1u);
  EXPECT_EQ(c.node(1).read_states[0], (ReadState{7, commit}));
}

TEST(ReadIndexTest, ManyReadsIssuedTogetherShareOneHeartbeatRound) {
  Cluster c(3);
  c.Elect(1);
  c.ClearSent();
  for (uint64_t ctx = 1; ctx <= 10; ctx++)
    ASSERT_TRUE(c.raft(1).ReadIndex(ctx).ok());
  c.Stabilize();
  for (uint64_t ctx = 1; ctx <= 10; ctx++)
    EXPECT_TRUE(Answered(c.node(1), ctx)) << ctx;
  // One heartbeat to each follower, however many reads: the heartbeats
  // only leave with the Ready, after every one of these reads arrived.
  EXPECT_EQ(c.CountSent(kHeartbeat), 2u);
}

TEST(ReadIndexTest, ReadsArrivingDuringARoundShareTheNextOne) {
  Cluster c(3);
  c.Elect(1);
  c.ClearSent();
  ASSERT_TRUE(c.raft(1).ReadIndex(1).ok());
  ASSERT_TRUE(c.ProcessReady(1));
  ASSERT_EQ(c.CountInFlight(kHeartbeat), 2u);
  // Round 1 is on the wire: these reads cannot use it, and must not start
  // a round each either.
  for (uint64_t ctx = 2; ctx <= 6; ctx++)
    ASSERT_TRUE(c.raft(1).ReadIndex(ctx).ok());
  c.ProcessReady(1);
  EXPECT_EQ(c.CountSent(kHeartbeat), 2u);
  c.Stabilize();
  for (uint64_t ctx = 1; ctx <= 6; ctx++)
    EXPECT_TRUE(Answered(c.node(1), ctx)) << ctx;
  EXPECT_EQ(c.CountSent(kHeartbeat), 4u);
}

TEST(ReadIndexTest, NotAnsweredBeforeTheLeaderCommitsAnEntryOfItsTerm) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize();
  // Node 2 takes over but its no-op is held back.
  c.ForceCampaign(2);
  const auto app = OfType(MessageType::kApp);
  c.Stabilize(app);
  ASSERT_EQ(c.raft(2).role(), Role::kLeader);
  const Index noop = c.raft(2).log().LastIndex();
  ASSERT_LT(c.raft(2).commit(), noop);
  ASSERT_TRUE(c.raft(2).ReadIndex(5).ok());
  c.ClearSent();
  c.Stabilize(app);
  EXPECT_FALSE(Answered(c.node(2), 5));
  // Not even a heartbeat round is spent on it yet.
  EXPECT_EQ(c.CountSent(kHeartbeat), 0u);
  c.Stabilize();
  ASSERT_TRUE(Answered(c.node(2), 5));
  // Its read point covers everything the previous leader may have acked.
  EXPECT_EQ(c.node(2).read_states[0].index, noop);
}

TEST(ReadIndexTest, DeposedLeaderNeverAnswers) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  ASSERT_TRUE(c.raft(1).ReadIndex(9).ok());
  // The majority side moves on and writes.
  c.Elect(2);
  ASSERT_TRUE(c.raft(2).Propose("newer").ok());
  c.Stabilize();
  for (int i = 0; i < 30; i++) {
    c.TickAll();
    ASSERT_FALSE(Answered(c.node(1), 9));
  }
  // CheckQuorum made it step down, which gives the read up.
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).dropped_reads, (std::vector<uint64_t>{9}));
  c.Heal();
  c.TickAll(5);
  EXPECT_FALSE(Answered(c.node(1), 9));
}

TEST(ReadIndexTest, FollowerReadIsForwardedToTheLeaderAndAnswered) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize();
  c.ClearSent();
  ASSERT_TRUE(c.raft(2).ReadIndex(42).ok());
  c.Stabilize();
  EXPECT_EQ(c.CountSent(And(OfType(MessageType::kReadIndex), To(1))), 1u);
  ASSERT_EQ(c.node(2).read_states.size(), 1u);
  EXPECT_EQ(c.node(2).read_states[0], (ReadState{42, c.raft(1).commit()}));
  EXPECT_TRUE(c.node(1).read_states.empty());
  EXPECT_EQ(c.CountSent(kHeartbeat), 2u);
}

TEST(ReadIndexTest, ReadWithNoLeaderFailsAtOnce) {
  Cluster c(3);
  const Status s = c.raft(1).ReadIndex(1);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.message(), "no leader");
}

TEST(ReadIndexTest, SingleNodeAnswersAtOnce) {
  Cluster c(1);
  c.Elect(1);
  ASSERT_TRUE(c.raft(1).ReadIndex(3).ok());
  ASSERT_TRUE(c.ProcessReady(1));
  EXPECT_TRUE(Answered(c.node(1), 3));
}

// The planted defect answers without a round; the first test must see it.
TEST(ReadIndexTest, PlantedNoHeartbeatBugIsCaught) {
  Config cfg = TestConfig();
  cfg.planted_bug = PlantedBug::kReadIndexNoHeartbeat;
  Cluster c(3, 0, cfg);
  c.Elect(1);
  c.Isolate(1);
  ASSERT_TRUE(c.raft(1).ReadIndex(7).ok());
  c.ProcessReady(1);
  EXPECT_TRUE(Answered(c.node(1), 7)) << "the planted bug should answer without a quorum";
}

}  // namespace
}  // namespace cairn::raft::test

namespace cairn::raft::test {
namespace {

TEST(ReadIndexTest, ForwardedReadIsDroppedWhenTheLeaderChanges) {
  // The forwarded request is lost and its leader deposed: the follower must
  // fail the read (so the caller retries) instead of waiting forever.
  Cluster c(3);
  c.Elect(1);
  c.TickAll(2);
  ASSERT_TRUE(c.raft(2).ReadIndex(7).ok());
  c.ProcessAllReady();
  ASSERT_EQ(c.DropInFlight(OfType(MessageType::kReadIndex)), 1);
  c.Elect(3);
  EXPECT_EQ(c.node(2).dropped_reads, std::vector<uint64_t>{7});
  EXPECT_TRUE(c.node(2).read_states.empty());
}

TEST(ReadIndexTest, DuplicateForwardedAnswerYieldsOneReadState) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(2);
  ASSERT_TRUE(c.raft(2).ReadIndex(9).ok());
  c.ProcessAllReady();
  // Run the heartbeat round but keep the answer in flight.
  c.Stabilize(OfType(MessageType::kReadIndexResp));
  std::vector<Message> answers;
  for (const Message& m : c.in_flight()) {
    if (m.type == MessageType::kReadIndexResp) answers.push_back(m);
  }
  ASSERT_EQ(answers.size(), 1u);
  c.in_flight().push_back(answers[0]);  // duplicated by the network
  c.Stabilize();
  ASSERT_EQ(c.node(2).read_states.size(), 1u);
  EXPECT_EQ(c.node(2).read_states[0].context, 9u);
}

}  // namespace
}  // namespace cairn::raft::test
