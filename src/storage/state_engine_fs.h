#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/slice.h"
#include "base/status.h"

// The few POSIX file operations the state-machine engine's snapshot code
// needs, returning Status with the path in every message. Internal to
// storage; the WAL has its own file layer.
namespace cairn::storage::fs {

bool Exists(const std::string& path);

// Names of the entries in `dir`. Fails on a subdirectory or anything but a
// regular file: snapshot and checkpoint directories are flat.
Result<std::vector<std::string>> ListRegularFiles(const std::string& dir);

Status CreateDir(const std::string& dir);
Status RemoveAll(const std::string& path);
Status Rename(const std::string& from, const std::string& to);
// fsync a directory, making renames and creations in it durable.
Status SyncDir(const std::string& dir);
Status SyncFile(const std::string& path);

// Creates `path` (which must not exist), writes `data` and fsyncs it.
Status WriteNewFile(const std::string& path, Slice data);
// Reads a whole file no larger than max_bytes.
Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes);

struct FileCheck {
  uint64_t size = 0;
  uint32_t crc = 0;  // CRC32C of the contents, unmasked
};
// Streams the file through CRC32C.
Result<FileCheck> ChecksumFile(const std::string& path);

// Copies a regular file and fsyncs the copy.
Status CopyFile(const std::string& from, const std::string& to);

// A file name that is safe to join to a directory: not empty, not "." or
// "..", no '/' or NUL, at most 255 bytes.
bool IsPlainFileName(Slice name);

std::string Join(const std::string& dir, const std::string& name);

// errno (as captured by the caller) as a Status naming the operation and
// path; ENOSPC is kResourceExhausted so callers can tell a full disk.
Status Errno(const std::string& what, const std::string& path, int err);

// Writes all of [p, p+n) to fd, retrying short writes and EINTR.
Status WriteAll(int fd, const char* p, size_t n, const std::string& path);

// Closes on every path out, so error returns cannot leak descriptors.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  // Closing can report a deferred write error; callers that wrote use this.
  int Close();

 private:
  int fd_;
};

}  // namespace cairn::storage::fs
