// Membership changes through real replicas (WAL, MVCC store, Raft core) in
// one process: a cluster bootstrapped with its member table in the log, a
// learner added that catches up from the log or from a snapshot and is
// promoted, the leader removed, and restarts that keep all of it. Waits
// are bounded liveness checks, never timing measurements.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "cluster/replica.h"
#include "kv/members.h"
#include "replica_checks.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

cairnpb::MemberInfo Info(raft::NodeId id) {
  cairnpb::MemberInfo m;
  m.set_id(id);
  m.set_name("n" + std::to_string(id));
  m.add_peer_urls("http://127.0.0.1:" + std::to_string(20000 + id));
  return m;
}

cairnpb::RaftRequest Change(cairnpb::MembershipChange::Kind kind, raft::NodeId id) {
  cairnpb::RaftRequest req;
  req.mutable_membership()->set_kind(kind);
  *req.mutable_membership()->mutable_member() = Info(id);
  return req;
}

class Cluster {
 public:
  // Members 1..n bootstrap a new cluster.
  Cluster(int n, uint64_t snapshot_count = 0) : snapshot_count_(snapshot_count) {
    for (int i = 1; i <= n; ++i) {
      raft::ConfChange cc =
          kv::ConfChangeOf(Change(cairnpb::MembershipChange::ADD_VOTER, i).membership());
      cc.context = Change(cairnpb::MembershipChange::ADD_VOTER, i).SerializeAsString();
      bootstrap_.push_back(cc);
    }
    for (int i = 1; i <= n; ++i)
      Start(i, /*initial=*/true);
  }
  ~Cluster() {
    for (auto& [id, node] : nodes_)
      Stop(id);
  }

  // initial: a member of the new cluster (bootstraps its log if empty);
  // otherwise a member joining (or rejoining) with what its WAL has.
  void Start(raft::NodeId id, bool initial) {
    Node& node = nodes_[id];
    std::string dir = tmp_.path() + "/node" + std::to_string(id);
    auto wal = storage::Wal::Open(dir + "/wal");
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    node.wal = std::move(*wal);
    ReplicaOptions o;
    o.id = id;
    if (initial) o.bootstrap = bootstrap_;
    o.state_dir = dir + "/group1";
    o.tick = 10ms;
    o.seed = id * 7 + restarts_++;
    o.snapshot_count = snapshot_count_;
    o.compaction_keep_entries = 5;
    o.request_timeout = 2s;
    o.check_membership = [this](const cairnpb::RaftRequest& req, const MembershipView& view) {
      std::lock_guard<std::mutex> lock(mu_);
      last_view_ = view;
      return refuse_ && req.membership().kind() == cairnpb::MembershipChange::PROMOTE
                 ? Status(Code::kFailedPrecondition, "refused by the check")
                 : Status::Ok();
    };
    o.on_members_changed = [this, id](const kv::MvccStore&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++changes_[id];
    };
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

  Replica* replica(raft::NodeId id) {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second.replica.get();
  }
  testing::ReplicaOf Lookup() {
    return [this](raft::NodeId id) { return replica(id); };
  }
  std::vector<raft::NodeId> Running() {
    std::vector<raft::NodeId> ids;
    for (auto& [id, node] : nodes_)
      if (node.replica) ids.push_back(id);
    return ids;
  }
  raft::NodeId WaitForLeader() { return testing::WaitForLeader(Running(), Lookup()); }

  Result<kv::ApplyResult> Propose(raft::NodeId via, const cairnpb::RaftRequest& req) {
    return testing::ProposeAndWait(replica(via), req);
  }
  // The outcome of a proposal: the transport error, or the applied status.
  Status Outcome(raft::NodeId via, const cairnpb::RaftRequest& req) {
    Result<kv::ApplyResult> r = Propose(via, req);
    return r.ok() ? r->status : r.status();
  }
  Status Put(raft::NodeId via, const std::string& key, const std::string& value) {
    cairnpb::RaftRequest req;
    req.mutable_put()->set_key(key);
    req.mutable_put()->set_value(value);
    return Outcome(via, req);
  }

  // Member ids (learners marked with a trailing 'L') in `id`'s table.
  std::string Members(raft::NodeId id) {
    auto table = replica(id)->store().Members();
    if (!table.ok()) return table.status().ToString();
    std::set<std::string> out;
    for (const auto& m : table->members())
      out.insert(std::to_string(m.id()) + (m.is_learner() ? "L" : ""));
    std::string s;
    for (const auto& m : out)
      s += (s.empty() ? "" : ",") + m;
    return s;
  }
  // Waits until `id` shows `want`.
  bool WaitMembers(raft::NodeId id, const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Members(id) == want) return true;
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "member " << id << " shows " << Members(id) << ", not " << want;
    return false;
  }
  bool WaitValue(raft::NodeId id, const std::string& key, const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (testing::Get(replica(id), key) == want) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  void Refuse(bool refuse) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = refuse;
  }
  MembershipView last_view() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_view_;
  }
  int changes(raft::NodeId id) {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_[id];
  }

 private:
  struct Node {
    std::unique_ptr<storage::Wal> wal;
    std::unique_ptr<Replica> replica;
  };
  TempDir tmp_;
  testing::LocalNetwork net_;
  std::vector<raft::ConfChange> bootstrap_;
  std::map<raft::NodeId, Node> nodes_;
  uint64_t restarts_ = 0;
  uint64_t snapshot_count_ = 0;
  std::mutex mu_;
  bool refuse_ = false;
  MembershipView last_view_;
  std::map<raft::NodeId, int> changes_;
};

TEST(ReplicaMembershipTest, ABootstrappedClusterHasItsMemberTableInTheLog) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (raft::NodeId id : {1, 2, 3}) {
    EXPECT_TRUE(c.WaitMembers(id, "1,2,3"));
    EXPECT_GE(c.changes(id), 1);
  }
  auto table = c.replica(1)->store().Members();
  ASSERT_TRUE(table.ok());
  const cairnpb::MemberInfo* two = kv::FindMember(*table, 2);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->name(), "n2");
  EXPECT_EQ(two->peer_urls(0), "http://127.0.0.1:20002");
}

TEST(ReplicaMembershipTest, ALearnerJoinsCatchesUpFromTheLogAndIsPromoted) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Put(leader, "before", "join").ok());
  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::ADD_LEARNER, 4)).ok());
  EXPECT_TRUE(c.WaitMembers(leader, "1,2,3,4L"));
  // The new member starts empty, with no membership of its own: it learns
  // everything, bootstrap entries included, from the leader.
  c.Start(4, /*initial=*/false);
  EXPECT_TRUE(c.WaitValue(4, "before", "join"));
  EXPECT_TRUE(c.WaitMembers(4, "1,2,3,4L"));

  // The check sees the learner's progress and may refuse.
  c.Refuse(true);
  Result<kv::ApplyResult> refused =
      c.Propose(leader, Change(cairnpb::MembershipChange::PROMOTE, 4));
  ASSERT_TRUE(refused.ok());  // the request's failure, not the replica's
  EXPECT_EQ(refused->status.message(), "refused by the check");
  MembershipView view = c.last_view();
  EXPECT_EQ(view.leader, leader);
  ASSERT_EQ(view.peers.count(4), 1u);
  EXPECT_TRUE(view.peers[4].learner);
  EXPECT_GT(view.peers[4].match, 0u);
  EXPECT_TRUE(view.peers[4].active);
  EXPECT_NE(kv::FindMember(view.table, 4), nullptr);
  c.Refuse(false);

  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::PROMOTE, 4)).ok());
  for (raft::NodeId id : {1, 2, 3, 4})
    EXPECT_TRUE(c.WaitMembers(id, "1,2,3,4"));
  // Promoting a voter is refused by the table, as etcd does.
  Status again = c.Outcome(leader, Change(cairnpb::MembershipChange::PROMOTE, 4));
  EXPECT_EQ(again.message(), "etcdserver: can only promote a learner member");
  // Four voters: writes need three, and the new one counts.
  c.Stop(leader == 1 ? 2 : 1);
  raft::NodeId now = c.WaitForLeader();
  ASSERT_NE(now, raft::kNoNode);
  EXPECT_TRUE(c.Put(now, "after", "promote").ok());
  EXPECT_TRUE(c.WaitValue(4, "after", "promote"));
}

TEST(ReplicaMembershipTest, RemovingTheLeaderLeavesAWorkingCluster) {
  Cluster c(3);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::ADD_VOTER, 4)).ok());
  c.Start(4, /*initial=*/false);
  ASSERT_TRUE(c.WaitMembers(4, "1,2,3,4"));
  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::REMOVE, leader)).ok());
  // The old leader steps down once its removal commits; the others elect a
  // leader among themselves and go on.
  std::vector<raft::NodeId> rest;
  for (raft::NodeId id : {1, 2, 3, 4})
    if (id != leader) rest.push_back(id);
  std::string want;
  for (raft::NodeId id : rest)
    want += (want.empty() ? "" : ",") + std::to_string(id);
  for (raft::NodeId id : rest)
    EXPECT_TRUE(c.WaitMembers(id, want));
  c.Stop(leader);
  raft::NodeId next = testing::WaitForLeader(rest, c.Lookup());
  ASSERT_NE(next, raft::kNoNode);
  ASSERT_NE(next, leader);
  EXPECT_TRUE(c.Put(next, "after", "removal").ok());
  for (raft::NodeId id : rest)
    EXPECT_TRUE(c.WaitValue(id, "after", "removal"));
  // Unknown ids are etcd's "member not found".
  EXPECT_EQ(c.Outcome(next, Change(cairnpb::MembershipChange::REMOVE, leader)).message(),
            "etcdserver: member not found");
}

TEST(ReplicaMembershipTest, ARestartKeepsTheMembershipAndSnapshotsCarryIt) {
  Cluster c(3, /*snapshot_count=*/10);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::ADD_LEARNER, 4)).ok());
  for (int i = 0; i < 60; ++i)
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), "v").ok());
  // The log before the snapshots is gone: the learner starts from one, and
  // the snapshot alone gives it the member table and the voters.
  c.Start(4, /*initial=*/false);
  EXPECT_TRUE(c.WaitValue(4, "k59", "v"));
  EXPECT_TRUE(c.WaitMembers(4, "1,2,3,4L"));
  ASSERT_TRUE(c.Outcome(leader, Change(cairnpb::MembershipChange::PROMOTE, 4)).ok());
  ASSERT_TRUE(c.WaitMembers(4, "1,2,3,4"));
  for (raft::NodeId id : {1, 2, 3, 4})
    c.Stop(id);
  // Everyone restarts from disk (the initial members would bootstrap only
  // into an empty log).
  for (raft::NodeId id : {1, 2, 3})
    c.Start(id, /*initial=*/true);
  c.Start(4, /*initial=*/false);
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (raft::NodeId id : {1, 2, 3, 4})
    EXPECT_TRUE(c.WaitMembers(id, "1,2,3,4"));
  EXPECT_TRUE(c.Put(leader, "after", "restart").ok());
  EXPECT_TRUE(c.WaitValue(4, "after", "restart"));
}

}  // namespace
}  // namespace cairn::cluster
