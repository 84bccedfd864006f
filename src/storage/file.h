#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/slice.h"
#include "base/status.h"

namespace cairn::storage {

// The WAL reaches the disk only through these interfaces, so tests can make
// any write or sync fail, return short, or lose what was never synced.

// A file written at explicit offsets (WAL segments are preallocated, so
// appending means writing inside the file, not extending it).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at `offset` or returns the error; a short write that
  // cannot be completed is an error.
  virtual Status WriteAt(uint64_t offset, Slice data) = 0;
  // fdatasync: once it returns OK, everything written before is durable.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `n` bytes at `offset`; fewer only at end of file.
  virtual Status ReadAt(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` (which must not exist) and reserves `preallocate` bytes for
  // it, so running out of space shows up here rather than mid-record.
  virtual Result<std::unique_ptr<WritableFile>> CreateFile(const std::string& path,
                                                           uint64_t preallocate) = 0;
  // Opens an existing file for writing without truncating it.
  virtual Result<std::unique_ptr<WritableFile>> ReopenFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) = 0;

  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status CreateDirs(const std::string& dir) = 0;
  // fsync of a directory makes created, renamed and deleted names durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
};

// The real thing. Never fails on its own accord; errors carry errno's text.
FileSystem* DefaultFileSystem();

// Maps an errno from a file operation to a Status naming the operation and
// path. ENOSPC and EDQUOT become kResourceExhausted so callers can tell "disk
// full" from "disk broken".
Status ErrnoStatus(int err, const std::string& op, const std::string& path);

}  // namespace cairn::storage
