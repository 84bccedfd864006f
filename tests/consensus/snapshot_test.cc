// Snapshots: compaction of the leader's log, and a follower that fell behind
// it catching up through a chunked snapshot and then ordinary appends.

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

std::string SnapshotData() {
  std::string data;
  for (int i = 0; i < 100; i++)
    data.push_back(static_cast<char>('a' + i % 26));
  return data;
}

TEST(SnapshotTest, CreateSnapshotCompactsTheLog) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 10; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  Raft& r = c.raft(1);
  const Index applied = r.applied();
  ASSERT_EQ(applied, r.log().LastIndex());

  EXPECT_EQ(r.CreateSnapshot(applied + 1, "x").code(), Code::kInvalidArgument);
  ASSERT_TRUE(r.CreateSnapshot(applied - 2, "state").ok());
  EXPECT_EQ(r.snapshot().meta.index, applied - 2);
  EXPECT_EQ(r.snapshot().meta.term, r.term());
  EXPECT_EQ(r.snapshot().meta.conf, Voters({1, 2, 3}));
  EXPECT_EQ(r.snapshot().data, "state");
  EXPECT_EQ(r.log().FirstIndex(), applied - 1);
  EXPECT_EQ(r.log().LastIndex(), applied);
  EXPECT_EQ(r.log().TermAt(applied - 2), r.term());
  EXPECT_FALSE(r.log().TermAt(applied - 3).has_value());
  EXPECT_EQ(r.CreateSnapshot(applied - 2, "again").code(), Code::kAlreadyExists);
  EXPECT_EQ(r.CreateSnapshot(applied - 5, "older").code(), Code::kAlreadyExists);

  // The cluster keeps working on the compacted log.
  ASSERT_TRUE(r.Propose("after").ok());
  c.Stabilize();
  EXPECT_EQ(c.AppliedData(3).back(), "after");
}

// Node 3 misses 20 entries, which the leader then compacts into a 100-byte
// snapshot sent in 16-byte chunks.
void FallBehindCompaction(Cluster& c) {
  c.Elect(1);
  c.TickAll(2);
  c.Isolate(3);
  for (int i = 0; i < 20; i++)
    ASSERT_TRUE(c.raft(1).Propose("old" + std::to_string(i)).ok());
  c.Stabilize();
  ASSERT_TRUE(c.CreateSnapshot(1, c.raft(1).applied(), SnapshotData()).ok());
  for (int i = 0; i < 3; i++)
    ASSERT_TRUE(c.raft(1).Propose("new" + std::to_string(i)).ok());
  c.Stabilize();
  c.Heal();
  c.ClearSent();
  // A fresh proposal makes the leader notice the gap right away.
  ASSERT_TRUE(c.raft(1).Propose("new3").ok());
}

Config SmallChunks() {
  Config cfg = TestConfig();
  cfg.max_snapshot_chunk_bytes = 16;
  return cfg;
}

TEST(SnapshotTest, LaggingFollowerGetsChunkedSnapshotThenAppends) {
  Cluster c(3, 0, SmallChunks());
  FallBehindCompaction(c);
  c.Stabilize();

  const Snapshot& snap = c.raft(1).snapshot();
  // ceil(100 / 16) chunks, each at the offset where the previous stopped.
  std::vector<uint64_t> offsets;
  for (const Message& m : c.sent()) {
    if (m.type != MessageType::kSnapshot) continue;
    offsets.push_back(m.snapshot_offset);
    EXPECT_LE(m.snapshot_chunk.size(), 16u);
    EXPECT_EQ(m.snapshot_done, m.snapshot_offset + m.snapshot_chunk.size() == 100);
  }
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 16, 32, 48, 64, 80, 96}));

  // Installed through Ready::snapshot, with the leader's bytes and metadata.
  TestNode& f = c.node(3);
  ASSERT_EQ(f.installed.size(), 1u);
  EXPECT_EQ(f.installed[0].data, snap.data);
  EXPECT_EQ(f.installed[0].meta, snap.meta);
  EXPECT_EQ(f.storage.snapshot.meta, snap.meta);
  EXPECT_EQ(c.raft(3).snapshot().meta, snap.meta);
  EXPECT_EQ(c.raft(3).conf(), Voters({1, 2, 3}));

  // Then the entries after the snapshot, by appends.
  std::vector<std::string> after;
  for (const Entry& e : f.applied) {
    if (e.index > snap.meta.index) after.push_back(e.data);
  }
  EXPECT_EQ(after, (std::vector<std::string>{"new0", "new1", "new2", "new3"}));
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
  EXPECT_EQ(c.raft(3).commit(), c.raft(1).commit());
  EXPECT_EQ(f.storage.LastIndex(), c.raft(1).log().LastIndex());
  EXPECT_EQ(c.raft(1).progress().at(3).state, Progress::State::kReplicate);
}

TEST(SnapshotTest, LostChunkIsRetransmitted) {
  Cluster c(3, 0, SmallChunks());
  FallBehindCompaction(c);
  bool dropped = false;
  c.AddDropFilter([&dropped](const Message& m) {
    if (m.type != MessageType::kSnapshot || m.snapshot_offset != 32 || dropped) return false;
    dropped = true;
    return true;
  });
  c.Stabilize();
  ASSERT_TRUE(dropped);
  EXPECT_TRUE(c.node(3).installed.empty());
  EXPECT_EQ(c.raft(1).progress().at(3).state, Progress::State::kSnapshot);

  // The next heartbeat's answer prompts the resend.
  c.TickAll(2);
  ASSERT_EQ(c.node(3).installed.size(), 1u);
  EXPECT_EQ(c.node(3).installed[0].data, SnapshotData());
  EXPECT_GE(c.CountSent([](const Message& m) {
    return m.type == MessageType::kSnapshot && m.snapshot_offset == 32;
  }),
            2u);
  EXPECT_EQ(c.AppliedData(3).back(), "new3");
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
}

TEST(SnapshotTest, LostFinalChunkIsRetransmitted) {
  Cluster c(3, 0, SmallChunks());
  FallBehindCompaction(c);
  bool dropped = false;
  c.AddDropFilter([&dropped](const Message& m) {
    if (m.type != MessageType::kSnapshot || !m.snapshot_done || dropped) return false;
    dropped = true;
    return true;
  });
  c.Stabilize();
  ASSERT_TRUE(dropped);
  c.TickAll(2);
  ASSERT_EQ(c.node(3).installed.size(), 1u);
  EXPECT_EQ(c.node(3).installed[0].data, SnapshotData());
  EXPECT_EQ(c.AppliedData(3).back(), "new3");
}

TEST(SnapshotTest, TransferFinishesTheSnapshotItStartedWith) {
  // Restarting a transfer whenever the leader takes a newer snapshot would
  // never finish under steady writes; the transfer keeps its snapshot and
  // the follower then catches up from there.
  Cluster c(3, 0, SmallChunks());
  FallBehindCompaction(c);
  const std::string first = c.raft(1).snapshot().data;
  c.Stabilize(
      [](const Message& m) { return m.type == MessageType::kSnapshot && m.snapshot_offset >= 32; });
  c.DropInFlight(OfType(MessageType::kSnapshot));
  ASSERT_EQ(c.raft(1).progress().at(3).state, Progress::State::kSnapshot);
  ASSERT_TRUE(c.CreateSnapshot(1, c.raft(1).applied(), "newer").ok());
  c.TickAll(3);
  ASSERT_GE(c.node(3).installed.size(), 1u);
  EXPECT_EQ(c.node(3).installed[0].data, first) << "the transfer in progress was not restarted";
  // With no log kept behind the newer snapshot, the follower needs it too.
  EXPECT_EQ(c.node(3).installed.back().data, "newer");
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex());
}

TEST(SnapshotTest, KeptEntriesLetASlightlyLaggingFollowerCatchUpFromTheLog) {
  Config cfg = TestConfig();
  cfg.compaction_keep_entries = 5;
  Cluster c(3, 0, cfg);
  c.Elect(1);
  c.TickAll(2);
  for (int i = 0; i < 10; i++)
    ASSERT_TRUE(c.raft(1).Propose("e" + std::to_string(i)).ok());
  c.Stabilize();
  c.Isolate(3);
  for (int i = 0; i < 3; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  const Index applied = c.raft(1).applied();
  ASSERT_TRUE(c.CreateSnapshot(1, applied, "s").ok());
  EXPECT_EQ(c.raft(1).snapshot().meta.index, applied);
  EXPECT_EQ(c.raft(1).log().FirstIndex(), applied - 5 + 1) << "five entries kept";
  c.Heal();
  ASSERT_TRUE(c.raft(1).Propose("after").ok());
  c.TickAll(3);
  EXPECT_TRUE(c.node(3).installed.empty()) << "caught up from the kept entries";
  EXPECT_EQ(c.AppliedData(3).back(), "after");
}

TEST(SnapshotTest, RestartedFollowerRecoversFromItsInstalledSnapshot) {
  Cluster c(3, 0, SmallChunks());
  FallBehindCompaction(c);
  c.Stabilize();
  const Index last = c.raft(3).log().LastIndex();
  c.Restart(3);
  EXPECT_EQ(c.raft(3).snapshot().meta, c.raft(1).snapshot().meta);
  EXPECT_EQ(c.raft(3).log().LastIndex(), last);
  EXPECT_EQ(c.raft(3).applied(), c.node(3).applied_index);
  ASSERT_TRUE(c.raft(1).Propose("later").ok());
  c.TickAll(2);
  EXPECT_EQ(c.AppliedData(3).back(), "later");
}

TEST(SnapshotTest, SnapshotCompletedBetweenGetReadyAndAdvanceIsNotLost) {
  // Steps may arrive while a Ready is being written (the WAL is
  // asynchronous). Node 3 installs snapshot A; before it calls Advance, the
  // leader has moved on to snapshot B and node 3 receives it.
  Cluster c(3);
  c.Elect(1);
  c.TickAll(2);
  c.Isolate(3);
  for (int i = 0; i < 5; i++)
    ASSERT_TRUE(c.raft(1).Propose("p" + std::to_string(i)).ok());
  c.Stabilize();
  ASSERT_TRUE(c.CreateSnapshot(1, c.raft(1).applied(), "A").ok());
  ASSERT_TRUE(c.raft(1).Propose("x").ok());
  c.Stabilize();
  c.Heal();
  ASSERT_TRUE(c.raft(1).Propose("trigger").ok());
  const auto snap_to_3 = And(To(3), OfType(MessageType::kSnapshot));
  c.Stabilize(snap_to_3);
  ASSERT_EQ(c.Deliver(snap_to_3), 1);

  Ready rd = c.TakeReady(3);
  ASSERT_TRUE(rd.snapshot.has_value());
  EXPECT_EQ(rd.snapshot->data, "A");
  c.Send(rd.messages);
  c.Persist(3, rd);
  c.Send(rd.persisted_messages);
  c.Apply(3, rd);

  ASSERT_TRUE(c.CreateSnapshot(1, c.raft(1).applied(), "B").ok());
  c.Deliver(To(1));
  c.ProcessReady(1);
  ASSERT_EQ(c.Deliver(snap_to_3), 1);
  c.Advance(3);

  c.Stabilize();
  c.TickAll(2);
  ASSERT_EQ(c.node(3).installed.size(), 2u) << "snapshot B was never handed to the node";
  EXPECT_EQ(c.node(3).installed[1].data, "B");
  EXPECT_EQ(c.node(3).applied_index, c.raft(1).commit());
}

TEST(SnapshotTest, FollowerAcknowledgesOnlyWhatItVerified) {
  // Node 3 already holds the snapshot's last entry, followed by entries of
  // an old term that the leader never had. Matching at the snapshot index
  // says nothing about those: acknowledging them would let the leader count
  // node 3 for entries it does not have.
  Cluster c(TestConfig(), 1);
  InitialState s;
  s.hard_state = HardState{3, kNoNode, 5};
  s.entries = Entries(1, 10, 1);
  for (const Entry& e : Entries(11, 15, 2))
    s.entries.push_back(e);
  s.conf = Voters({1, 2, 3});
  c.AddNode(3, s);
  c.Stabilize();
  Message m;
  m.type = MessageType::kSnapshot;
  m.from = 1;
  m.to = 3;
  m.term = 3;
  m.snapshot_meta = SnapshotMeta{10, 1, Voters({1, 2, 3})};
  m.snapshot_chunk = "state";
  m.snapshot_done = true;
  c.in_flight().push_back(m);
  c.ClearSent();
  c.Deliver();
  c.ProcessReady(3);
  ASSERT_EQ(c.CountSent(OfType(MessageType::kAppResp)), 1u);
  const Message& resp = c.sent().back();
  EXPECT_FALSE(resp.reject);
  EXPECT_EQ(resp.index, 10u) << "acknowledged unverified entries up to " << resp.index;
  EXPECT_EQ(c.raft(3).commit(), 10u);
}

}  // namespace
}  // namespace cairn::raft::test
