#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/random.h"
#include "storage/file.h"

namespace cairn::storage::testing {

// An in-memory FileSystem that knows what is durable. Sync() makes a file's
// bytes durable, SyncDir() makes the directory's names durable, and
// PowerLoss() throws away everything else: each file goes back to its synced
// bytes plus a random subset of the 512-byte sectors written since (disks do
// not persist pages in write order), and names created or deleted since the
// last SyncDir of their directory may be undone. Faults can be armed to make
// writes, syncs or allocation fail the way a real disk does.
class MemFs : public FileSystem {
 public:
  explicit MemFs(uint64_t seed) : random_(seed) {}

  // Faults stay armed until cleared (errno 0).
  void FailWrites(int err, bool write_half_first = false);
  void FailSyncs(int err);
  // Total bytes all files may occupy; CreateFile past it fails with ENOSPC.
  void SetCapacity(uint64_t bytes);
  // Runs before every Sync (outside the lock), e.g. to hold a sync back.
  void SetBeforeSync(std::function<void()> hook);

  void PowerLoss();
  // Loses power right after the n-th write from now has reached the page
  // cache (before any sync of it): the moment that produces torn tails.
  void PowerLossAfterWrites(uint64_t n);
  // The file system as one process sees it: after a PowerLoss every call
  // through it fails, as a dead process makes no more calls. Give each WAL
  // instance its own so that a crashed one cannot touch the files its
  // successor recovers.
  std::unique_ptr<FileSystem> NewProcess();
  // Direct access for corruption tests.
  std::string* Contents(const std::string& path);
  bool Exists(const std::string& path);
  uint64_t syncs() const { return syncs_; }

  Result<std::unique_ptr<WritableFile>> CreateFile(const std::string& path,
                                                   uint64_t preallocate) override;
  Result<std::unique_ptr<WritableFile>> ReopenFile(const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status DeleteFile(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;

 private:
  struct Node {
    std::string data;
    std::string durable;
  };
  class Writer;
  class Reader;
  class Process;
  friend class Writer;
  friend class Reader;

  static constexpr uint64_t kAnyGeneration = UINT64_MAX;
  bool Stale(uint64_t gen) const { return gen != kAnyGeneration && gen != generation_; }
  Result<std::unique_ptr<WritableFile>> DoCreateFile(uint64_t gen, const std::string& path,
                                                     uint64_t preallocate);
  Result<std::unique_ptr<WritableFile>> DoReopenFile(uint64_t gen, const std::string& path);
  Result<std::unique_ptr<ReadableFile>> DoOpenForRead(uint64_t gen, const std::string& path);
  Result<std::vector<std::string>> DoListDir(uint64_t gen, const std::string& dir);
  Status DoSyncDir(uint64_t gen, const std::string& dir);
  Status DoDeleteFile(uint64_t gen, const std::string& path);
  Status DoTruncate(uint64_t gen, const std::string& path, uint64_t size);
  Status DoRename(uint64_t gen, const std::string& from, const std::string& to);
  uint64_t UsedBytes() const;
  void PowerLossLocked();
  uint64_t writes_until_power_loss_ = 0;  // 0: not armed
  static std::string DirOf(const std::string& path);

  std::mutex mu_;
  SeededRandom random_;
  uint64_t generation_ = 0;  // handles from before a power loss stop working
  std::map<std::string, std::shared_ptr<Node>> names_;
  std::map<std::string, std::shared_ptr<Node>> durable_names_;
  int write_error_ = 0;
  bool write_half_first_ = false;
  int sync_error_ = 0;
  uint64_t capacity_ = UINT64_MAX;
  std::function<void()> before_sync_;
  uint64_t syncs_ = 0;
};

}  // namespace cairn::storage::testing
