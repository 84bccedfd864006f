#include "storage/state_engine_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/crc32c.h"

namespace cairn::storage::fs {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

Status Errno(const std::string& what, const std::string& path, int err) {
  const Code code = err == ENOSPC ? Code::kResourceExhausted : Code::kInternal;
  return Status(code, what + " " + path + ": " + std::strerror(err));
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::Close() {
  const int rc = ::close(fd_);
  fd_ = -1;
  return rc;
}

Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListRegularFiles(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Status(Code::kInternal, "list " + dir + ": " + ec.message());
  std::vector<std::string> names;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Status(Code::kInternal, "list " + dir + ": " + ec.message());
    const auto status = it->symlink_status(ec);
    if (ec) return Status(Code::kInternal, "stat " + it->path().string() + ": " + ec.message());
    if (!std::filesystem::is_regular_file(status)) {
      return Status(Code::kDataLoss, "not a regular file: " + it->path().string());
    }
    names.push_back(it->path().filename().string());
  }
  if (ec) return Status(Code::kInternal, "list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Status CreateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kInternal, "mkdir " + dir + ": " + ec.message());
  return Status::Ok();
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status(Code::kInternal, "remove " + path + ": " + ec.message());
  return Status::Ok();
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename " + from + " to", to, errno);
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", dir, errno);
  if (::fsync(fd.get()) != 0) return Errno("fsync", dir, errno);
  return Status::Ok();
}

Status SyncFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", path, errno);
  if (::fsync(fd.get()) != 0) return Errno("fsync", path, errno);
  return Status::Ok();
}

Status WriteNewFile(const std::string& path, Slice data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.ok()) return Errno("create", path, errno);
  if (Status s = WriteAll(fd.get(), data.data(), data.size(), path); !s.ok()) return s;
  if (::fsync(fd.get()) != 0) return Errno("fsync", path, errno);
  if (fd.Close() != 0) return Errno("close", path, errno);
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno("stat", path, errno);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status(Code::kDataLoss, path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t r = ::read(fd.get(), out.data() + done, out.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path, errno);
    }
    if (r == 0) return Status(Code::kDataLoss, path + ": shorter than its size");
    done += static_cast<size_t>(r);
  }
  return out;
}

Result<FileCheck> ChecksumFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", path, errno);
  std::string buf(kBufferBytes, '\0');
  FileCheck check;
  for (;;) {
    const ssize_t r = ::read(fd.get(), buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path, errno);
    }
    if (r == 0) break;
    check.crc = crc32c::Extend(check.crc, buf.data(), static_cast<size_t>(r));
    check.size += static_cast<uint64_t>(r);
  }
  return check;
}

Status CopyFile(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) return Errno("open", from, errno);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.ok()) return Errno("create", to, errno);
  std::string buf(kBufferBytes, '\0');
  for (;;) {
    const ssize_t r = ::read(in.get(), buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read", from, errno);
    }
    if (r == 0) break;
    if (Status s = WriteAll(out.get(), buf.data(), static_cast<size_t>(r), to); !s.ok()) return s;
  }
  if (::fsync(out.get()) != 0) return Errno("fsync", to, errno);
  if (out.Close() != 0) return Errno("close", to, errno);
  return Status::Ok();
}

bool IsPlainFileName(Slice name) {
  if (name.empty() || name.size() > 255 || name == Slice(".") || name == Slice("..")) return false;
  for (char c : name.view()) {
    if (c == '/' || c == '\0') return false;
  }
  return true;
}

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace cairn::storage::fs
