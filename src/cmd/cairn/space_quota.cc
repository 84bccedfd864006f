#include "cmd/cairn/space_quota.h"

#include <filesystem>

namespace cairn::cmd {

uint64_t DirectorySize(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // Files come and go under RocksDB's compactions: skip what vanished.
    std::error_code fec;
    if (it->is_regular_file(fec)) {
      const uintmax_t n = it->file_size(fec);
      if (!fec) total += n;
    }
  }
  return total;
}

uint64_t SpaceQuota::DbSize() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - measured_ >= kRefresh) {
    size_ = DirectorySize(dir_);
    measured_ = now;
  }
  return size_;
}

}  // namespace cairn::cmd
