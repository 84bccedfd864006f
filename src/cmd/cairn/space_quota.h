#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cairn::cmd {

// etcd's --quota-backend-bytes: how big the data group's directory may get
// before writes that add data are refused and NOSPACE is raised.
class SpaceQuota {
 public:
  static constexpr uint64_t kDefaultBytes = 2ull << 30;  // etcd's default

  // 0 means the default.
  SpaceQuota(std::string dir, uint64_t quota_bytes)
      : dir_(std::move(dir)), quota_(quota_bytes == 0 ? kDefaultBytes : quota_bytes) {}

  uint64_t quota_bytes() const { return quota_; }
  // The directory's size, measured at most every kRefresh: a write asks
  // before every proposal, and walking the directory each time would cost
  // more than the write.
  uint64_t DbSize();
  // True if adding `extra` bytes would go over the quota.
  bool Exceeded(uint64_t extra) { return DbSize() + extra > quota_; }

 private:
  static constexpr std::chrono::milliseconds kRefresh{100};
  const std::string dir_;
  const uint64_t quota_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point measured_{};
  uint64_t size_ = 0;
};

// Total size of the regular files under `dir` (0 when it is missing).
uint64_t DirectorySize(const std::string& dir);

}  // namespace cairn::cmd
