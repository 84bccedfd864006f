// The replication pipeline: several appends in flight to a replicating
// follower, bounded by count and bytes, and batching of bursts.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

// A settled three-node cluster led by node 1, all followers replicating.
void Settle(Cluster& c) {
  c.Elect(1);
  c.TickAll(2);
  ASSERT_EQ(c.raft(1).progress().at(2).state, Progress::State::kReplicate);
  ASSERT_EQ(c.raft(1).progress().at(3).state, Progress::State::kReplicate);
  c.ClearSent();
}

// Proposes `data` and hands out the leader's Ready without delivering
// anything, so that appends pile up in flight.
void ProposeAndSend(Cluster& c, const std::string& data) {
  ASSERT_TRUE(c.raft(1).Propose(data).ok());
  ASSERT_TRUE(c.ProcessReady(1));
}

TEST(FlowControlTest, SeveralAppendsAreInFlightBeforeAnyResponse) {
  Cluster c(3);
  Settle(c);
  for (int i = 0; i < 4; i++)
    ProposeAndSend(c, "p" + std::to_string(i));
  const auto apps = And(AppWithEntries(), To(2));
  ASSERT_EQ(c.CountInFlight(apps), 4u);
  // Each continues where the previous one stopped.
  Index prev = 0;
  for (const Message& m : c.in_flight()) {
    if (!apps(m)) continue;
    EXPECT_GT(m.index, prev);
    EXPECT_EQ(m.entries.size(), 1u);
    prev = m.index;
  }
  EXPECT_EQ(c.raft(1).progress().at(2).inflights.count(), 4);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(2).size(), 4u);
  EXPECT_EQ(c.raft(1).progress().at(2).inflights.count(), 0);
}

TEST(FlowControlTest, NoMoreThanMaxInflightMsgsUnacknowledged) {
  Config cfg = TestConfig();
  cfg.max_inflight_msgs = 3;
  Cluster c(3, 0, cfg);
  Settle(c);
  for (int i = 0; i < 10; i++)
    ProposeAndSend(c, "p" + std::to_string(i));
  const auto apps = And(AppWithEntries(), To(2));
  EXPECT_EQ(c.CountInFlight(apps), 3u);
  EXPECT_EQ(c.raft(1).progress().at(2).inflights.count(), 3);
  EXPECT_TRUE(c.raft(1).progress().at(2).Paused());

  // One acknowledgement opens one slot, and the next append carries every
  // entry that queued up meanwhile.
  Index first_prev = 0;
  for (const Message& m : c.in_flight()) {
    if (apps(m)) {
      first_prev = m.index;
      break;
    }
  }
  ASSERT_EQ(c.Deliver([&](const Message& m) { return apps(m) && m.index == first_prev; }), 1);
  ASSERT_TRUE(c.ProcessReady(2));
  c.Deliver(And(OfType(MessageType::kAppResp), From(2)));
  c.ProcessReady(1);
  EXPECT_EQ(c.CountInFlight(apps), 3u);
  size_t newest = 0;
  for (const Message& m : c.in_flight()) {
    if (apps(m)) newest = m.entries.size();
  }
  EXPECT_EQ(newest, 7u);

  // Every entry arrives in the end, without ever exceeding the window.
  for (int guard = 0; guard < 100 && !c.in_flight().empty(); guard++) {
    c.Deliver();
    c.ProcessAllReady();
    EXPECT_LE(c.CountInFlight(apps), 3u);
  }
  EXPECT_EQ(c.AppliedData(2).size(), 10u);
}

TEST(FlowControlTest, InflightBytesAreBounded) {
  Config cfg = TestConfig();
  cfg.max_inflight_bytes = 200;  // each entry below is 124 bytes
  Cluster c(3, 0, cfg);
  Settle(c);
  for (int i = 0; i < 5; i++)
    ProposeAndSend(c, std::string(100, 'a' + i));
  // Sending stops once the bytes in flight reach the limit; the message
  // that crosses it is the last.
  EXPECT_EQ(c.CountInFlight(And(AppWithEntries(), To(2))), 2u);
  EXPECT_EQ(c.raft(1).progress().at(2).inflights.bytes(), 248u);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(2).size(), 5u);
}

TEST(FlowControlTest, LargeBacklogIsSplitByMaxMsgBytes) {
  Config cfg = TestConfig();
  cfg.max_msg_bytes = 500;
  Cluster c(3, 0, cfg);
  Settle(c);
  for (int i = 0; i < 10; i++)
    ASSERT_TRUE(c.raft(1).Propose(std::string(100, 'x')).ok());
  ASSERT_TRUE(c.ProcessReady(1));
  // 124-byte entries, at most 500 bytes a message: 4 + 4 + 2.
  std::vector<size_t> sizes;
  for (const Message& m : c.in_flight()) {
    if (AppWithEntries()(m) && m.to == 2) sizes.push_back(m.entries.size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2}));
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(3).size(), 10u);
}

TEST(FlowControlTest, ManyProposalsBeforeGetReadyBecomeOneBatch) {
  Cluster c(3);
  Settle(c);
  for (int i = 0; i < 50; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  Ready rd = c.TakeReady(1);
  // One write for the leader...
  EXPECT_EQ(rd.entries.size(), 50u);
  // ...and one message per follower.
  for (NodeId f : {2, 3}) {
    size_t apps = 0;
    for (const Message& m : rd.messages) {
      if (m.type == MessageType::kApp && m.to == f) {
        apps++;
        EXPECT_EQ(m.entries.size(), 50u);
      }
    }
    EXPECT_EQ(apps, 1u) << "follower " << f;
  }
  c.Send(rd.messages);
  c.Persist(1, rd);
  c.Send(rd.persisted_messages);
  c.Apply(1, rd);
  c.Advance(1);
  // The follower too writes the burst at once and answers once.
  c.Deliver(To(2));
  Ready frd = c.TakeReady(2);
  EXPECT_EQ(frd.entries.size(), 50u);
  EXPECT_EQ(frd.persisted_messages.size(), 1u);
  c.Send(frd.messages);
  c.Persist(2, frd);
  c.Send(frd.persisted_messages);
  c.Apply(2, frd);
  c.Advance(2);
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(3).size(), 50u);
}

}  // namespace
}  // namespace cairn::raft::test
