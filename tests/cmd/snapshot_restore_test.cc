// cairn-restore's library: a saved snapshot file becomes a data directory
// whose store equals the source and whose WAL starts the NEW cluster at the
// store's applied index.
#include "cmd/restore/snapshot_restore.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/sha256.h"
#include "cmd/cairn/config.h"
#include "kv/mvcc_store.h"
#include "storage/snapshot_file.h"
#include "storage/state_engine_snapshot.h"
#include "storage/wal.h"

namespace cairn::cmd {
namespace {

namespace fsys = std::filesystem;

constexpr char kInitial[] =
    "a=http://127.0.0.1:7001,b=http://127.0.0.1:7002,c=http://127.0.0.1:7003";

class SnapshotRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/cairn-restore-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // A source store with some history, saved as Maintenance.Snapshot
    // streams it: archive, padding and length, SHA-256.
    auto store = kv::MvccStore::Open(dir_ + "/source");
    ASSERT_TRUE(store.ok());
    for (uint64_t i = 1; i <= 30; ++i) {
      cairnpb::RaftRequest put;
      put.mutable_put()->set_key("key" + std::to_string(i % 7));
      put.mutable_put()->set_value("value" + std::to_string(i));
      ASSERT_TRUE((*store)->Apply(put, 10 + i, 3, static_cast<int64_t>(10 + i)).ok());
    }
    digest_ = *(*store)->Digest();
    ASSERT_TRUE((*store)->CreateSnapshot(dir_ + "/checkpoint").ok());
    ASSERT_TRUE(storage::WriteArchive(dir_ + "/checkpoint", file()).ok());
    ASSERT_TRUE(storage::PadSnapshotArchive(file()).ok());
    std::string body = Read(file());
    Sha256 h;
    h.Update(body);
    Sha256::Digest d = h.Finish();
    std::ofstream(file(), std::ios::app | std::ios::binary)
        .write(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void TearDown() override { fsys::remove_all(dir_); }

  std::string file() const { return dir_ + "/snap.db"; }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  RestoreOptions Options(const std::string& name, int port) const {
    RestoreOptions o;
    o.snapshot_path = file();
    o.name = name;
    o.initial_cluster = kInitial;
    o.initial_cluster_token = "new-token";
    o.initial_advertise_peer_urls = "http://127.0.0.1:" + std::to_string(port);
    o.data_dir = dir_ + "/" + name;
    return o;
  }

  std::string dir_;
  uint32_t digest_ = 0;
};

TEST_F(SnapshotRestoreTest, RestoredMemberStartsTheNewClusterAtTheSnapshot) {
  Result<RestoreResult> r = RestoreSnapshot(Options("b", 7002));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The snapshot's index plus one: the entry that rewrote the member table.
  EXPECT_EQ(r->index, 41u);
  EXPECT_EQ(r->term, 3u);
  EXPECT_EQ(r->members, 3u);
  auto members = ParseInitialCluster(kInitial, "new-token");
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(r->member_id, (*members)[1].id);
  EXPECT_EQ(r->cluster_id, ClusterId(*members));
  EXPECT_FALSE(fsys::exists(dir_ + "/b.restoring"));
  {
    auto store = kv::MvccStore::Open(dir_ + "/b/groups/1");
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(*(*store)->Digest(), digest_);
    EXPECT_EQ((*store)->applied_index(), 41u);
    // The member table is the new cluster's, not the snapshot's.
    auto table = (*store)->Members();
    ASSERT_TRUE(table.ok());
    ASSERT_EQ(table->members_size(), 3);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(table->members(i).id(), (*members)[i].id);
      EXPECT_EQ(table->members(i).peer_urls(0), (*members)[i].peer_urls[0]);
    }
  }
  auto wal = storage::Wal::Open(dir_ + "/b/wal");
  ASSERT_TRUE(wal.ok());
  std::optional<storage::Wal::GroupState> g = (*wal)->Group(1);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->snapshot.index, 41u);
  EXPECT_EQ(g->snapshot.term, 3u);
  std::vector<raft::NodeId> voters = g->snapshot.conf.voters;
  std::sort(voters.begin(), voters.end());
  std::vector<raft::NodeId> want;
  for (const Member& m : *members)
    want.push_back(m.id);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(voters, want);
  EXPECT_EQ(g->hard_state.commit, 41u);
  EXPECT_EQ(g->first_index, 42u);  // no old log: the new one starts after
}

TEST_F(SnapshotRestoreTest, RefusesAnExistingDataDir) {
  ASSERT_TRUE(RestoreSnapshot(Options("a", 7001)).ok());
  Result<RestoreResult> again = RestoreSnapshot(Options("a", 7001));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "data-dir \"" + dir_ + "/a\" exists");
}

TEST_F(SnapshotRestoreTest, AlteredOrTruncatedFilesAreRefusedAndLeaveNothing) {
  std::string bytes = Read(file());
  bytes[bytes.size() / 2] ^= 1;
  std::ofstream(file(), std::ios::trunc | std::ios::binary).write(bytes.data(), bytes.size());
  Result<RestoreResult> r = RestoreSnapshot(Options("c", 7003));
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("SHA-256"), std::string::npos) << r.status().message();
  bytes[bytes.size() / 2] ^= 1;
  bytes.resize(bytes.size() - 1);
  std::ofstream(file(), std::ios::trunc | std::ios::binary).write(bytes.data(), bytes.size());
  EXPECT_EQ(RestoreSnapshot(Options("c", 7003)).status().code(), Code::kDataLoss);
  EXPECT_FALSE(fsys::exists(dir_ + "/c"));
  EXPECT_FALSE(fsys::exists(dir_ + "/c.restoring"));
}

TEST_F(SnapshotRestoreTest, NameAndPeerUrlsMustMatchTheInitialCluster) {
  EXPECT_EQ(RestoreSnapshot(Options("d", 7004)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(RestoreSnapshot(Options("a", 7009)).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(fsys::exists(dir_ + "/a"));
}

}  // namespace
}  // namespace cairn::cmd
