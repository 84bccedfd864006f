// The WAL on a real, small tmpfs that fills up: a clear error, nothing
// acknowledged while there is no room, nothing corrupted, and it carries on
// by itself once space is freed.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "storage/wal.h"
#include "wal_testing.h"

namespace cairn::storage {
namespace {

using testing::Append;
using testing::MakeEntry;

class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& dir, const char* size) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    std::string opts = std::string("size=") + size;
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  uint64_t free_bytes() const {
    struct statvfs st;
    ::statvfs(dir_.c_str(), &st);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(WalFullDiskTest, FullDiskIsAClearErrorAndTheWalCarriesOnOnceSpaceIsFreed) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::TempDir tmp;
  const std::string mnt = tmp.path() + "/disk";
  SmallTmpfs disk(mnt, "2m");
  ASSERT_TRUE(disk.mounted()) << "mount tmpfs: " << disk.error();
  const std::string dir = mnt + "/wal";
  WalOptions o;
  o.segment_bytes = 256 << 10;
  o.no_space_retry_ms = 10;

  raft::Index last = 0;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(dir, o);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    ASSERT_TRUE((*wal)->Write({Append(1, 1, 100, 1)}).ok());
    last = 100;
    // Fill the disk so that the next segment cannot be allocated.
    const std::string filler = mnt + "/filler";
    {
      std::ofstream out(filler, std::ios::binary);
      std::string block(4096, 'f');
      while (disk.free_bytes() >= 64 << 10 && out.write(block.data(), block.size())) {
        out.flush();
      }
    }
    // Write until a new segment is needed and cannot be had.
    std::future<Status> stuck;
    for (int i = 0; i < 10000; ++i) {
      auto promise = std::make_shared<std::promise<Status>>();
      std::future<Status> f = promise->get_future();
      (*wal)->Submit({Append(1, last + 1, last + 20, 1)},
                     [promise](Status s) { promise->set_value(s); });
      // Either it becomes durable or the WAL reports that it waits for space.
      while (f.wait_for(std::chrono::milliseconds(1)) == std::future_status::timeout &&
             (*wal)->waiting_for_space().empty()) {
      }
      if (!(*wal)->waiting_for_space().empty()) {
        stuck = std::move(f);
        break;
      }
      ASSERT_TRUE(f.get().ok());
      last += 20;
    }
    ASSERT_TRUE(stuck.valid()) << "the disk never filled up";
    std::string why = (*wal)->waiting_for_space();
    EXPECT_NE(why.find("No space left on device"), std::string::npos) << why;
    EXPECT_NE(why.find(dir), std::string::npos) << "the error should name the WAL path: " << why;
    EXPECT_TRUE((*wal)->health().ok()) << "a full disk must not be a fatal WAL error";
    EXPECT_EQ((*wal)->Group(1)->last_index, last) << "nothing may be acknowledged meanwhile";

    std::filesystem::remove(filler);  // the operator frees space
    EXPECT_TRUE(stuck.get().ok());
    last += 20;
    EXPECT_EQ((*wal)->waiting_for_space(), "");
    ASSERT_TRUE((*wal)->Write({Append(1, last + 1, last + 1, 2)}).ok());
    last += 1;
  }
  Result<std::unique_ptr<Wal>> wal = Wal::Open(dir, o);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_EQ((*wal)->recovery_note(), "") << "a full disk must not leave a torn tail";
  ASSERT_EQ((*wal)->Group(1)->last_index, last);
  Result<std::vector<raft::Entry>> all = (*wal)->Entries(1, 1, last + 1);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const raft::Entry& e : *all)
    ASSERT_EQ(e, MakeEntry(1, e.index, e.term));
}

}  // namespace
}  // namespace cairn::storage
