// Three replicas of one group in one process, each with its own WAL and
// state directory, connected by an in-memory transport: elections,
// replication, linearizable reads, restarts and a leader crash with the real
// WAL and MVCC store underneath. Waits are bounded liveness checks (a
// generous deadline), never timing measurements.
#include "cluster/replica.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "base/logging.h"
#include "replica_checks.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

using testing::LocalNetwork;

class Cluster {
 public:
  explicit Cluster(int n, uint64_t snapshot_count = 0, size_t max_pending = 100000,
                   std::chrono::milliseconds slow_request = 100ms)
      : snapshot_count_(snapshot_count), max_pending_(max_pending), slow_request_(slow_request) {
    for (int i = 1; i <= n; ++i)
      ids_.push_back(i);
    for (raft::NodeId id : ids_)
      Start(id);
  }
  ~Cluster() {
    for (raft::NodeId id : ids_)
      Stop(id);
  }

  void Start(raft::NodeId id) {
    Node& node = nodes_[id];
    std::string dir = tmp_.path() + "/node" + std::to_string(id);
    auto wal = storage::Wal::Open(dir + "/wal");
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    node.wal = std::move(*wal);
    ReplicaOptions o;
    o.id = id;
    o.initial_voters = ids_;
    o.state_dir = dir + "/group1";
    o.tick = 10ms;
    o.seed = id * 7 + restarts_++;
    o.snapshot_count = snapshot_count_;
    o.compaction_keep_entries = 5;
    o.request_timeout = 500ms;
    o.max_pending = max_pending_;
    o.slow_request = slow_request_;
    auto r = Replica::Open(o, node.wal.get(), &net_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    node.replica = std::move(*r);
    net_.Attach(id, node.replica.get());
  }

  void Stop(raft::NodeId id) {
    net_.Detach(id);
    Node& node = nodes_[id];
    node.replica.reset();
    node.wal.reset();
  }

  Replica* replica(raft::NodeId id) { return nodes_[id].replica.get(); }
  storage::Wal* wal(raft::NodeId id) { return nodes_[id].wal.get(); }
  testing::ReplicaOf Lookup() {
    return [this](raft::NodeId id) { return replica(id); };
  }
  LocalNetwork& net() { return net_; }

  raft::NodeId WaitForLeader() { return testing::WaitForLeader(ids_, Lookup()); }

  Result<kv::ApplyResult> Put(raft::NodeId via, const std::string& key, const std::string& value) {
    cairnpb::RaftRequest req;
    req.mutable_put()->set_key(key);
    req.mutable_put()->set_value(value);
    return testing::ProposeAndWait(replica(via), req);
  }

  Status Barrier(raft::NodeId via) { return testing::Barrier(replica(via)); }

  std::string Get(raft::NodeId id, const std::string& key) {
    return testing::Get(replica(id), key);
  }

  bool Converged(raft::Index index) { return testing::Converged(ids_, Lookup(), index); }

  const std::vector<raft::NodeId>& ids() const { return ids_; }

 private:
  struct Node {
    std::unique_ptr<storage::Wal> wal;
    std::unique_ptr<Replica> replica;
  };
  TempDir tmp_;
  LocalNetwork net_;
  std::vector<raft::NodeId> ids_;
  std::map<raft::NodeId, Node> nodes_;
  uint64_t restarts_ = 0;
  uint64_t snapshot_count_ = 0;
  size_t max_pending_ = 100000;
  std::chrono::milliseconds slow_request_;
};

TEST(ReplicaTest, ElectsALeaderReplicatesAndReadsLinearizablyOnFollowers) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (int i = 0; i < 50; ++i) {
    auto r = c.Put(leader, "key" + std::to_string(i), "value" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->status.ok()) << r->status.ToString();
  }
  raft::NodeId follower = leader == 1 ? 2 : 1;
  // After a read barrier a follower's own state holds every acknowledged write.
  ASSERT_TRUE(c.Barrier(follower).ok());
  EXPECT_EQ(c.Get(follower, "key49"), "value49");
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
}

class CaptureLog : public LogSink {
 public:
  void Write(LogLevel, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  }
  std::vector<std::string> With(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    for (const std::string& l : lines) {
      if (l.find(text) != std::string::npos) out.push_back(l);
    }
    return out;
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

TEST(ReplicaTest, SlowWritesAndReadsAreLoggedWithWhatTheyWaitedOnAndCounted) {
  auto log = std::make_shared<CaptureLog>();
  SetLogSink(log);
  {
    Cluster c(3, 0, 100000, 0ms);  // every request counts as slow
    raft::NodeId leader = c.WaitForLeader();
    ASSERT_NE(leader, raft::kNoNode);
    ASSERT_TRUE(c.Put(leader, "k", "v").ok());
    raft::NodeId follower = leader == 1 ? 2 : 1;
    ASSERT_TRUE(c.Barrier(follower).ok());
    EXPECT_GE(c.replica(follower)->counters().read_index_rounds.load(), 1u);
    EXPECT_EQ(c.replica(leader)->counters().proposals_failed.load(), 0u);
    EXPECT_EQ(c.replica(leader)->info().pending, 0u);
  }
  SetLogSink(nullptr);
  std::vector<std::string> writes = log->With("slow write at index");
  ASSERT_FALSE(writes.empty());
  EXPECT_NE(writes[0].find("until committed (replicated to a quorum, each fsyncing it)"),
            std::string::npos)
      << writes[0];
  EXPECT_NE(writes[0].find("applying its batch of"), std::string::npos) << writes[0];
  std::vector<std::string> reads = log->With("slow linearizable read:");
  ASSERT_FALSE(reads.empty()) << "the follower's barrier";
  EXPECT_NE(reads[0].find("waiting for the leader to confirm its leadership (ReadIndex)"),
            std::string::npos)
      << reads[0];
}

TEST(ReplicaTest, AFollowerRefusesProposalsNamingTheLeader) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId follower = leader == 1 ? 2 : 1;
  // The follower must have heard from the leader to name it.
  ASSERT_TRUE(c.Barrier(follower).ok());
  auto r = c.Put(follower, "k", "v");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(std::to_string(leader)), std::string::npos)
      << r.status().message();
}

TEST(ReplicaTest, AWholeClusterRestartKeepsEverything) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), "v").ok());
  for (raft::NodeId id : c.ids())
    c.Stop(id);
  for (raft::NodeId id : c.ids())
    c.Start(id);
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Barrier(leader).ok());
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(c.Get(leader, "k" + std::to_string(i)), "v");
  auto r = c.Put(leader, "after", "restart");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
}

// A Ready that only raises the commit index does not wait for an fsync: one
// sync per write on the leader, not two (entries, then the commit). The
// restart then finds the store applied past the commit index on disk.
TEST(ReplicaTest, ACommitIndexAloneIsNotSyncedAndARestartStillStarts) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "warm", "up").ok());
  const uint64_t before = c.wal(leader)->stats().syncs;
  constexpr int kWrites = 20;
  for (int i = 0; i < kWrites; ++i)
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), "v").ok());
  const uint64_t syncs = c.wal(leader)->stats().syncs - before;
  EXPECT_LE(syncs, kWrites + 2u) << "a commit-only Ready was synced";
  ASSERT_TRUE(c.Converged(c.replica(leader)->info().applied));
  for (raft::NodeId id : c.ids())
    c.Stop(id);
  for (raft::NodeId id : c.ids())
    c.Start(id);
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Barrier(leader).ok());
  EXPECT_EQ(c.Get(leader, "k19"), "v");
}

// Reads that reach a follower together share one ReadIndex round trip to
// the leader, and every one of them is answered.
TEST(ReplicaTest, ReadsThatArriveTogetherShareOneReadIndex) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "k", "v").ok());
  raft::NodeId follower = leader == 1 ? 2 : 1;
  // Park the follower's consensus loop in a send, queue the reads behind
  // it, then let it go: it finds them all in one pass.
  ASSERT_TRUE(c.net().Hold(follower));
  constexpr int kReads = 50;
  std::vector<std::future<Status>> answers;
  for (int i = 0; i < kReads; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    answers.push_back(p->get_future());
    c.replica(follower)->ReadBarrier([p](Status s) { p->set_value(s); });
  }
  const int before = c.net().Sent(follower, raft::MessageType::kReadIndex);
  c.net().Release();
  for (auto& a : answers) {
    ASSERT_EQ(a.wait_for(30s), std::future_status::ready);
    EXPECT_TRUE(a.get().ok());
  }
  EXPECT_EQ(c.net().Sent(follower, raft::MessageType::kReadIndex) - before, 1);
}

TEST(ReplicaTest, ALeaderCrashKeepsAcknowledgedWritesAndTheNodeCatchesUp) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), "one").ok());
  c.Stop(leader);
  raft::NodeId next = c.WaitForLeader();
  ASSERT_NE(next, raft::kNoNode);
  ASSERT_NE(next, leader);
  ASSERT_TRUE(c.Barrier(next).ok());
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(c.Get(next, "k" + std::to_string(i)), "one");
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(c.Put(next, "k" + std::to_string(i), "two").ok());
  c.Start(leader);  // the old leader comes back and catches up from the log
  EXPECT_TRUE(c.Converged(c.replica(next)->info().applied));
  EXPECT_EQ(c.Get(leader, "k29"), "two");
}

TEST(ReplicaTest, AFollowerWhoseEntriesWereCompactedAwayCatchesUpFromASnapshot) {
  Cluster c(3, /*snapshot_count=*/20);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId lagging = leader == 3 ? 2 : 3;
  c.Stop(lagging);
  for (int i = 0; i < 120; ++i) {
    auto r = c.Put(leader, "k" + std::to_string(i % 30), "v" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // The leader has snapshotted and dropped the entries the lagging member
  // lacks; it can only catch up from a snapshot.
  c.Start(lagging);
  ASSERT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_EQ(c.Get(lagging, "k29"), "v119");
  // It keeps following: new writes reach it, and it survives a restart.
  ASSERT_TRUE(c.Put(leader, "after", "snapshot").ok());
  c.Stop(lagging);
  c.Start(lagging);
  ASSERT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_EQ(c.Get(lagging, "after"), "snapshot");
}

TEST(ReplicaTest, AWholeClusterRestartAfterSnapshotsKeepsEverything) {
  Cluster c(3, /*snapshot_count=*/10);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (int i = 0; i < 55; ++i)
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), "v").ok());
  for (raft::NodeId id : c.ids())
    c.Stop(id);
  for (raft::NodeId id : c.ids())
    c.Start(id);
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Barrier(leader).ok());
  for (int i = 0; i < 55; ++i)
    EXPECT_EQ(c.Get(leader, "k" + std::to_string(i)), "v");
  ASSERT_TRUE(c.Put(leader, "more", "x").ok());
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
}

TEST(ReplicaTest, ALeaderHandsOverLeadershipBeforeStopping) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "k", "v").ok());
  ASSERT_TRUE(c.replica(leader)->HandOverLeadership(5000ms));
  raft::NodeId next = raft::kNoNode;
  for (int i = 0; i < 1000 && (next == raft::kNoNode || next == leader); ++i) {
    next = c.WaitForLeader();
  }
  ASSERT_NE(next, leader);
  c.Stop(leader);
  auto r = c.Put(next, "after", "handover");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(c.Barrier(next).ok());
  EXPECT_EQ(c.Get(next, "k"), "v");
}

TEST(ReplicaTest, TransferLeadershipMovesItToTheChosenVoterOnly) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "k", "v").ok());
  auto started = [&](raft::NodeId via, raft::NodeId target) {
    auto p = std::make_shared<std::promise<Status>>();
    std::future<Status> f = p->get_future();
    c.replica(via)->TransferLeadership(target, [p](Status s) { p->set_value(s); });
    return f.wait_for(10s) == std::future_status::ready
               ? f.get()
               : Status(Code::kDeadlineExceeded, "test: no answer");
  };
  raft::NodeId target = leader == 3 ? 2 : 3;
  raft::NodeId other = 6 - leader - target;
  // Only the leader can, and only to a voter.
  EXPECT_EQ(started(other, target).code(), Code::kFailedPrecondition);
  EXPECT_EQ(started(leader, 99).code(), Code::kInvalidArgument);
  ASSERT_TRUE(started(leader, target).ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.replica(target)->info().role != raft::Role::kLeader &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(c.replica(target)->info().role, raft::Role::kLeader);
  ASSERT_TRUE(c.Put(target, "after", "transfer").ok());
}

TEST(ReplicaTest, RunOnApplyThreadSeesWholeBatchesInOrder) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "k", "1").ok());
  auto p = std::make_shared<std::promise<uint64_t>>();
  std::future<uint64_t> f = p->get_future();
  // Runs after the write above was applied (it was answered), and the store
  // stays at one applied index while the task runs.
  c.replica(leader)->RunOnApplyThread([p](kv::MvccStore& store) {
    const uint64_t before = store.applied_index();
    std::this_thread::sleep_for(50ms);
    p->set_value(store.applied_index() == before ? before : 0);
  });
  ASSERT_TRUE(c.Put(leader, "k", "2").ok());
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  const uint64_t seen = f.get();
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, c.replica(leader)->info().applied);
}

TEST(ReplicaTest, AWriteThatCannotCommitTimesOutInsteadOfHanging) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  c.net().Isolate(leader, true);  // it still believes it leads, for a while
  auto r = c.Put(leader, "stranded", "v");
  ASSERT_FALSE(r.ok());
  // Either the proposal waited out the request timeout, or the leader
  // noticed it lost its quorum first and the entry was lost with it.
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  c.net().Isolate(leader, false);
  raft::NodeId now = c.WaitForLeader();
  ASSERT_NE(now, raft::kNoNode);
  ASSERT_TRUE(c.Barrier(now).ok());
}

TEST(ReplicaTest, ReadsAndWritesBeyondTheBoundAreRefusedNotQueued) {
  Cluster c(3, 0, /*max_pending=*/4);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  // Cut off, the leader can neither confirm reads nor commit writes: they
  // wait (until the request timeout), and the fifth of each is refused.
  c.net().Isolate(leader, true);
  auto answers = std::make_shared<std::atomic<int>>(0);
  for (int i = 0; i < 4; ++i) {
    c.replica(leader)->ReadBarrier([answers](Status) { ++*answers; });
    cairnpb::RaftRequest req;
    req.mutable_put()->set_key("k" + std::to_string(i));
    c.replica(leader)->Propose(req, [answers](Result<kv::ApplyResult>) { ++*answers; });
  }
  Status read_refused;
  c.replica(leader)->ReadBarrier([&](Status s) { read_refused = s; });
  EXPECT_EQ(read_refused.code(), Code::kResourceExhausted) << read_refused.ToString();
  EXPECT_EQ(read_refused.message(), "etcdserver: too many requests");
  Status write_refused;
  cairnpb::RaftRequest req;
  req.mutable_put()->set_key("one-too-many");
  c.replica(leader)->Propose(req, [&](Result<kv::ApplyResult> r) { write_refused = r.status(); });
  EXPECT_EQ(write_refused.code(), Code::kResourceExhausted) << write_refused.ToString();
  // Every waiting request is answered in the end, and the bound frees up.
  for (int i = 0; i < 300 && *answers < 8; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(*answers, 8);
  c.net().Isolate(leader, false);
  raft::NodeId now = c.WaitForLeader();
  ASSERT_NE(now, raft::kNoNode);
  EXPECT_TRUE(c.Barrier(now).ok());
}

TEST(ReplicaTest, ARefusedProposalsCallbackMayProposeAgain) {
  // max_pending 0: every proposal is refused at once, on the caller's
  // thread. A callback that proposes again (a lock waiter cleaning up its
  // key) used to re-lock the replica's mutex and hang.
  Cluster c(1, 0, /*max_pending=*/0);
  ASSERT_NE(c.WaitForLeader(), raft::kNoNode);
  Replica* r = c.replica(1);
  cairnpb::RaftRequest req;
  req.mutable_put()->set_key("k");
  std::vector<Status> answers;
  r->Propose(req, [&](Result<kv::ApplyResult> first) {
    answers.push_back(first.status());
    r->Propose(req, [&](Result<kv::ApplyResult> second) { answers.push_back(second.status()); });
  });
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].code(), Code::kResourceExhausted);
  EXPECT_EQ(answers[1].code(), Code::kResourceExhausted);
}

}  // namespace
}  // namespace cairn::cluster
