// The planted ack-before-fsync bug (WalOptions::unsafe_ack_before_sync), a
// test-only switch for tests/chaos: it must really acknowledge before the
// disk holds anything, so that killing the process loses acknowledged
// writes, and must still write everything when it gets the chance.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "mem_fs.h"
#include "storage/wal.h"
#include "wal_testing.h"

namespace cairn::storage {
namespace {

using testing::Append;
using testing::MemFs;

constexpr char kDir[] = "/wal";

WalOptions AckingEarly(std::chrono::milliseconds period) {
  WalOptions o;
  o.segment_bytes = 8 << 10;
  o.unsafe_ack_before_sync = period;
  return o;
}

raft::Index LastIndex(const Wal& wal, uint64_t group) {
  std::optional<Wal::GroupState> g = wal.Group(group);
  return g ? g->last_index : 0;
}

TEST(WalAckBeforeSyncTest, OffByDefault) {
  MemFs fs(1);
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, WalOptions{}, &fs);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_FALSE((*wal)->acks_before_sync());
}

TEST(WalAckBeforeSyncTest, AcknowledgedWritesAreLostWhenTheProcessDies) {
  MemFs fs(1);
  std::unique_ptr<FileSystem> process = fs.NewProcess();
  Result<std::unique_ptr<Wal>> wal =
      Wal::Open(kDir, AckingEarly(std::chrono::hours(1)), process.get());
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ASSERT_TRUE((*wal)->acks_before_sync());
  const uint64_t syncs = fs.syncs();
  GroupWrite w = Append(1, 1, 10, 1);
  w.hard_state = raft::HardState{1, 2, 10};
  ASSERT_TRUE((*wal)->Write({w}).ok());  // "durable"
  EXPECT_EQ(fs.syncs(), syncs) << "acknowledged after a sync: the bug is not planted";
  EXPECT_EQ(LastIndex(**wal, 1), 0u) << "the WAL's own view must stay what is on disk";

  fs.PowerLoss();  // the process dies: every later call through it fails
  wal->reset();
  std::unique_ptr<FileSystem> restarted = fs.NewProcess();
  Result<std::unique_ptr<Wal>> after = Wal::Open(kDir, WalOptions{}, restarted.get());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_FALSE((*after)->Group(1).has_value()) << "the acknowledged write survived";
}

TEST(WalAckBeforeSyncTest, HeldWritesAreWrittenOnSyncSoonPeriodicallyAndAtClose) {
  MemFs fs(1);
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, AckingEarly(std::chrono::hours(1)), &fs);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    ASSERT_TRUE((*wal)->Write({Append(1, 1, 10, 1)}).ok());
    (*wal)->SyncSoon();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (LastIndex(**wal, 1) < 10 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(LastIndex(**wal, 1), 10u);
    ASSERT_TRUE((*wal)->Write({Append(1, 11, 20, 1)}).ok());
  }  // closing writes what is held
  {
    Result<std::unique_ptr<Wal>> wal =
        Wal::Open(kDir, AckingEarly(std::chrono::milliseconds(20)), &fs);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    EXPECT_EQ(LastIndex(**wal, 1), 20u);
    ASSERT_TRUE((*wal)->Write({Append(1, 21, 30, 1)}).ok());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (LastIndex(**wal, 1) < 30 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(LastIndex(**wal, 1), 30u) << "not written within the period";
  }
}

}  // namespace
}  // namespace cairn::storage
