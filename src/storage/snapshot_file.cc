#include "storage/snapshot_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/coding.h"
#include "storage/state_engine_fs.h"

namespace cairn::storage {

Status PadSnapshotArchive(const std::string& archive_path) {
  fs::Fd fd(::open(archive_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return fs::Errno("open", archive_path, errno);
  const off_t end = ::lseek(fd.get(), 0, SEEK_END);
  if (end < 0) return fs::Errno("seek", archive_path, errno);
  const uint64_t length = static_cast<uint64_t>(end);
  const uint64_t used = (length + kSnapshotFileFooter) % kSnapshotFileAlign;
  std::string tail(used == 0 ? 0 : kSnapshotFileAlign - used, '\0');
  PutFixed64(&tail, length);
  if (Status s = fs::WriteAll(fd.get(), tail.data(), tail.size(), archive_path); !s.ok()) return s;
  return fs::SyncFile(archive_path);
}

Result<uint64_t> PaddedArchiveLength(uint64_t body_size, Slice footer) {
  if (footer.size() != kSnapshotFileFooter || body_size % kSnapshotFileAlign != 0 ||
      body_size < kSnapshotFileAlign) {
    return Status(Code::kDataLoss, "not a Cairn snapshot file (bad size)");
  }
  const uint64_t length = DecodeFixed64(footer.data());
  if (length > body_size - kSnapshotFileFooter ||
      body_size - kSnapshotFileFooter - length >= kSnapshotFileAlign) {
    return Status(Code::kDataLoss, "not a Cairn snapshot file (bad archive length)");
  }
  return length;
}

}  // namespace cairn::storage
