#include "mem_fs.h"

#include <algorithm>
#include <cerrno>

namespace cairn::storage::testing {

namespace {
constexpr size_t kSector = 512;
}

class MemFs::Writer : public WritableFile {
 public:
  Writer(MemFs* fs, std::shared_ptr<Node> node, std::string path, uint64_t gen)
      : fs_(fs), node_(std::move(node)), path_(std::move(path)), gen_(gen) {}

  Status WriteAt(uint64_t offset, Slice data) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (gen_ != fs_->generation_) return ErrnoStatus(EIO, "write", path_);
    size_t n = data.size();
    if (fs_->write_error_ != 0) {
      if (!fs_->write_half_first_) return ErrnoStatus(fs_->write_error_, "write", path_);
      n /= 2;
    }
    if (offset + n > node_->data.size()) node_->data.resize(offset + n, '\0');
    std::copy(data.data(), data.data() + n, node_->data.begin() + static_cast<long>(offset));
    if (n < data.size()) return ErrnoStatus(fs_->write_error_, "write", path_);
    if (fs_->writes_until_power_loss_ > 0 && --fs_->writes_until_power_loss_ == 0) {
      fs_->PowerLossLocked();
    }
    return Status::Ok();
  }

  Status Sync() override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(fs_->mu_);
      hook = fs_->before_sync_;
    }
    if (hook) hook();
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (gen_ != fs_->generation_) return ErrnoStatus(EIO, "fdatasync", path_);
    if (fs_->sync_error_ != 0) return ErrnoStatus(fs_->sync_error_, "fdatasync", path_);
    node_->durable = node_->data;
    ++fs_->syncs_;
    return Status::Ok();
  }

  Status Close() override { return Status::Ok(); }

 private:
  MemFs* fs_;
  std::shared_ptr<Node> node_;
  std::string path_;
  uint64_t gen_;
};

class MemFs::Reader : public ReadableFile {
 public:
  Reader(MemFs* fs, std::shared_ptr<Node> node) : fs_(fs), node_(std::move(node)) {}

  Status ReadAt(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (offset >= node_->data.size()) {
      out->clear();
    } else {
      *out = node_->data.substr(offset, n);
    }
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    return static_cast<uint64_t>(node_->data.size());
  }

 private:
  MemFs* fs_;
  std::shared_ptr<Node> node_;
};

// Forwards to the MemFs while the power stays on; the generation is checked
// under the same lock as the operation, so a power loss cannot slip between.
class MemFs::Process : public FileSystem {
 public:
  Process(MemFs* fs, uint64_t gen) : fs_(fs), gen_(gen) {}

  Result<std::unique_ptr<WritableFile>> CreateFile(const std::string& path,
                                                   uint64_t preallocate) override {
    return fs_->DoCreateFile(gen_, path, preallocate);
  }
  Result<std::unique_ptr<WritableFile>> ReopenFile(const std::string& path) override {
    return fs_->DoReopenFile(gen_, path);
  }
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    return fs_->DoOpenForRead(gen_, path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return fs_->DoListDir(gen_, dir);
  }
  Status CreateDirs(const std::string&) override { return Status::Ok(); }
  Status SyncDir(const std::string& dir) override { return fs_->DoSyncDir(gen_, dir); }
  Status DeleteFile(const std::string& path) override { return fs_->DoDeleteFile(gen_, path); }
  Status Truncate(const std::string& path, uint64_t size) override {
    return fs_->DoTruncate(gen_, path, size);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return fs_->DoRename(gen_, from, to);
  }

 private:
  MemFs* fs_;
  uint64_t gen_;
};

std::unique_ptr<FileSystem> MemFs::NewProcess() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::make_unique<Process>(this, generation_);
}

void MemFs::FailWrites(int err, bool write_half_first) {
  std::lock_guard<std::mutex> lock(mu_);
  write_error_ = err;
  write_half_first_ = write_half_first;
}

void MemFs::FailSyncs(int err) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_error_ = err;
}

void MemFs::SetCapacity(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = bytes;
}

void MemFs::SetBeforeSync(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  before_sync_ = std::move(hook);
}

void MemFs::PowerLoss() {
  std::lock_guard<std::mutex> lock(mu_);
  PowerLossLocked();
}

void MemFs::PowerLossAfterWrites(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  writes_until_power_loss_ = n;
}

void MemFs::PowerLossLocked() {
  writes_until_power_loss_ = 0;
  ++generation_;
  std::map<std::string, std::shared_ptr<Node>> survivors;
  for (const auto& [path, node] : durable_names_) {
    // Sectors written since the last sync may or may not have reached the
    // platter, independently of each other.
    std::string after = node->durable;
    const std::string& written = node->data;
    if (written.size() > after.size()) after.resize(written.size(), '\0');
    for (size_t s = 0; s < written.size(); s += kSector) {
      size_t len = std::min(kSector, written.size() - s);
      if (random_.Chance(0.5)) std::copy_n(written.begin() + s, len, after.begin() + s);
    }
    auto fresh = std::make_shared<Node>();
    fresh->data = after;
    fresh->durable = after;
    survivors[path] = fresh;
  }
  names_ = survivors;
  durable_names_ = survivors;
}

std::string* MemFs::Contents(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = names_.find(path);
  return it == names_.end() ? nullptr : &it->second->data;
}

bool MemFs::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return names_.count(path) > 0;
}

uint64_t MemFs::UsedBytes() const {
  uint64_t used = 0;
  for (const auto& [path, node] : names_)
    used += node->data.size();
  return used;
}

std::string MemFs::DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Result<std::unique_ptr<WritableFile>> MemFs::DoCreateFile(uint64_t gen, const std::string& path,
                                                          uint64_t preallocate) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "create", path);
  if (names_.count(path)) return ErrnoStatus(EEXIST, "create", path);
  if (UsedBytes() + preallocate > capacity_) return ErrnoStatus(ENOSPC, "preallocate", path);
  auto node = std::make_shared<Node>();
  node->data.assign(preallocate, '\0');
  names_[path] = node;
  return std::unique_ptr<WritableFile>(new Writer(this, node, path, generation_));
}

Result<std::unique_ptr<WritableFile>> MemFs::DoReopenFile(uint64_t gen, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "open", path);
  auto it = names_.find(path);
  if (it == names_.end()) return ErrnoStatus(ENOENT, "open", path);
  return std::unique_ptr<WritableFile>(new Writer(this, it->second, path, generation_));
}

Result<std::unique_ptr<ReadableFile>> MemFs::DoOpenForRead(uint64_t gen, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "open", path);
  auto it = names_.find(path);
  if (it == names_.end()) return ErrnoStatus(ENOENT, "open", path);
  return std::unique_ptr<ReadableFile>(new Reader(this, it->second));
}

Result<std::vector<std::string>> MemFs::DoListDir(uint64_t gen, const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "list", dir);
  std::vector<std::string> out;
  for (const auto& [path, node] : names_) {
    if (DirOf(path) == dir) out.push_back(path.substr(dir.size() + 1));
  }
  return out;
}

Status MemFs::CreateDirs(const std::string&) {
  return Status::Ok();
}

Status MemFs::DoSyncDir(uint64_t gen, const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "fsync", dir);
  for (auto it = durable_names_.begin(); it != durable_names_.end();) {
    it = DirOf(it->first) == dir ? durable_names_.erase(it) : std::next(it);
  }
  for (const auto& [path, node] : names_) {
    if (DirOf(path) == dir) durable_names_[path] = node;
  }
  return Status::Ok();
}

Status MemFs::DoDeleteFile(uint64_t gen, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "delete", path);
  if (names_.erase(path) == 0) return ErrnoStatus(ENOENT, "delete", path);
  return Status::Ok();
}

Status MemFs::DoTruncate(uint64_t gen, const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "truncate", path);
  auto it = names_.find(path);
  if (it == names_.end()) return ErrnoStatus(ENOENT, "truncate", path);
  it->second->data.resize(size);
  return Status::Ok();
}

Status MemFs::DoRename(uint64_t gen, const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Stale(gen)) return ErrnoStatus(EIO, "rename", from);
  auto it = names_.find(from);
  if (it == names_.end()) return ErrnoStatus(ENOENT, "rename", from);
  names_[to] = it->second;
  names_.erase(it);
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> MemFs::CreateFile(const std::string& path,
                                                        uint64_t preallocate) {
  return DoCreateFile(kAnyGeneration, path, preallocate);
}
Result<std::unique_ptr<WritableFile>> MemFs::ReopenFile(const std::string& path) {
  return DoReopenFile(kAnyGeneration, path);
}
Result<std::unique_ptr<ReadableFile>> MemFs::OpenForRead(const std::string& path) {
  return DoOpenForRead(kAnyGeneration, path);
}
Result<std::vector<std::string>> MemFs::ListDir(const std::string& dir) {
  return DoListDir(kAnyGeneration, dir);
}
Status MemFs::SyncDir(const std::string& dir) {
  return DoSyncDir(kAnyGeneration, dir);
}
Status MemFs::DeleteFile(const std::string& path) {
  return DoDeleteFile(kAnyGeneration, path);
}
Status MemFs::Truncate(const std::string& path, uint64_t size) {
  return DoTruncate(kAnyGeneration, path, size);
}
Status MemFs::Rename(const std::string& from, const std::string& to) {
  return DoRename(kAnyGeneration, from, to);
}

}  // namespace cairn::storage::testing
