#include "cluster/replica_snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/storage/wal_testing.h"

namespace cairn::cluster {
namespace {

using storage::testing::TempDir;

// Found by the chaos harness: a second snapshot arrived while the apply
// thread was installing the first. Both were kept in one pending file, so
// the second overwrote the first and the first install then deleted it:
// the member aborted installing the second, and at every restart after
// refused to start (DATA_LOSS: the log starts after a snapshot the store
// never took in, and its archive is gone).
TEST(ReplicaSnapshot, ASecondSnapshotArrivingDuringAnInstallIsKept) {
  TempDir tmp;
  const std::string state = tmp.path() + "/groups/1";
  std::filesystem::create_directories(state);
  Result<std::unique_ptr<kv::MvccStore>> store = kv::MvccStore::Open(state);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  SnapshotPaths paths(state);
  Result<std::string> archive = PackStore(**store, paths);
  ASSERT_TRUE(archive.ok()) << archive.status().ToString();

  ASSERT_TRUE(SavePending(*archive, 7009, paths).ok());
  ASSERT_TRUE(SavePending(*archive, 7509, paths).ok());  // before 7009 is installed
  ASSERT_TRUE(RestorePending(**store, paths.Pending(7009), 7009, paths).ok());
  EXPECT_FALSE(std::filesystem::exists(paths.Pending(7009)));
  EXPECT_TRUE(std::filesystem::exists(paths.Pending(7509))) << "the newer snapshot was lost";
  Status second = RestorePending(**store, paths.Pending(7509), 7509, paths);
  EXPECT_TRUE(second.ok()) << second.ToString();
  EXPECT_FALSE(std::filesystem::exists(paths.Pending(7509)));
}

TEST(ReplicaSnapshot, InstallingANewerSnapshotRemovesOlderPendingOnes) {
  TempDir tmp;
  const std::string state = tmp.path() + "/groups/1";
  std::filesystem::create_directories(state);
  Result<std::unique_ptr<kv::MvccStore>> store = kv::MvccStore::Open(state);
  ASSERT_TRUE(store.ok());
  SnapshotPaths paths(state);
  Result<std::string> archive = PackStore(**store, paths);
  ASSERT_TRUE(archive.ok());
  ASSERT_TRUE(SavePending(*archive, 10, paths).ok());
  ASSERT_TRUE(SavePending(*archive, 20, paths).ok());
  ASSERT_TRUE(SavePending(*archive, 30, paths).ok());
  ASSERT_TRUE(RestorePending(**store, paths.Pending(20), 20, paths).ok());
  EXPECT_FALSE(std::filesystem::exists(paths.Pending(10)));
  EXPECT_FALSE(std::filesystem::exists(paths.Pending(20)));
  EXPECT_TRUE(std::filesystem::exists(paths.Pending(30)));
}

}  // namespace
}  // namespace cairn::cluster
