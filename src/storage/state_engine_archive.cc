// The single-stream snapshot archive. Layout (all integers little-endian):
//
//   header   "CAIRNSNA" | fixed32 version | fixed32 file count
//            | fixed32 masked CRC32C of the preceding 16 bytes
//   per file fixed32 name length | name | fixed64 size | fixed32 masked CRC32C
//            of the contents | fixed32 masked CRC32C of this entry's
//            preceding fields | contents (size bytes)
//   trailer  "CAIRNEND" | fixed64 bytes before the trailer
//            | fixed32 masked CRC32C of every byte before this field
//
// Per-file CRCs name the damaged file; the header and entry CRCs stop a
// damaged length from sending the reader astray before it allocates or
// writes anything; the whole-archive CRC covers everything else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "base/coding.h"
#include "base/crc32c.h"
#include "storage/state_engine_fs.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::storage {
namespace {

constexpr char kArchiveMagic[] = "CAIRNSNA";
constexpr char kTrailerMagic[] = "CAIRNEND";
constexpr size_t kMagicSize = 8;
constexpr uint32_t kArchiveVersion = 1;
constexpr uint32_t kMaxFiles = 1 << 20;
constexpr size_t kChunk = 1 << 20;

// errno right after the failing call.
Status Errno(const std::string& what, const std::string& path) {
  return fs::Errno(what, path, errno);
}

using fs::Fd;
using fs::WriteAll;

// Appends to the archive while keeping the CRC of everything written.
class ArchiveWriter {
 public:
  ArchiveWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status Write(const char* p, size_t n) {
    crc_ = crc32c::Extend(crc_, p, n);
    written_ += n;
    return WriteAll(fd_, p, n, path_);
  }
  Status Write(const std::string& s) { return Write(s.data(), s.size()); }
  uint32_t crc() const { return crc_; }
  uint64_t written() const { return written_; }

 private:
  int fd_;
  std::string path_;
  uint32_t crc_ = 0;
  uint64_t written_ = 0;
};

// Reads the archive in order, keeping the CRC of everything consumed and
// refusing to read past the end.
class ArchiveReader {
 public:
  ArchiveReader(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}

  uint64_t remaining() const { return size_ - consumed_; }
  uint64_t consumed() const { return consumed_; }
  uint32_t crc() const { return crc_; }

  Status Read(char* p, size_t n) {
    if (n > remaining()) return Corrupt("truncated at byte " + std::to_string(consumed_));
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::read(fd_, p + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("read", path_);
      }
      if (r == 0) return Corrupt("truncated at byte " + std::to_string(consumed_ + done));
      done += static_cast<size_t>(r);
    }
    crc_ = crc32c::Extend(crc_, p, n);
    consumed_ += n;
    return Status::Ok();
  }

  Status Corrupt(const std::string& what) const {
    return Status(Code::kDataLoss, "snapshot archive " + path_ + ": " + what);
  }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
  uint64_t consumed_ = 0;
  uint32_t crc_ = 0;
};

Status WriteOneFile(ArchiveWriter* out, const std::string& dir, const std::string& name) {
  const std::string path = fs::Join(dir, name);
  Result<fs::FileCheck> check = fs::ChecksumFile(path);
  if (!check.ok()) return check.status();
  std::string entry;
  PutFixed32(&entry, static_cast<uint32_t>(name.size()));
  entry += name;
  PutFixed64(&entry, check->size);
  PutFixed32(&entry, crc32c::Mask(check->crc));
  PutFixed32(&entry, crc32c::Mask(crc32c::Value(entry.data(), entry.size())));
  if (Status s = out->Write(entry); !s.ok()) return s;

  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) return Errno("open", path);
  std::string buf(kChunk, '\0');
  uint64_t copied = 0;
  uint32_t crc = 0;
  for (;;) {
    const ssize_t r = ::read(in.get(), buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read", path);
    }
    if (r == 0) break;
    crc = crc32c::Extend(crc, buf.data(), static_cast<size_t>(r));
    copied += static_cast<uint64_t>(r);
    if (Status s = out->Write(buf.data(), static_cast<size_t>(r)); !s.ok()) return s;
  }
  // The header promised size and CRC; a file changing underneath must not
  // produce an archive that lies.
  if (copied != check->size || crc != check->crc) {
    return Status(Code::kAborted, path + " changed while being archived");
  }
  return Status::Ok();
}

Status ExtractOneFile(ArchiveReader* in, const std::string& dest_dir, std::set<std::string>* seen) {
  char fixed[8];
  if (Status s = in->Read(fixed, 4); !s.ok()) return s;
  const uint32_t name_len = DecodeFixed32(fixed);
  if (name_len == 0 || name_len > 255) return in->Corrupt("bad file name length");
  std::string entry(fixed, 4);
  std::string name(name_len, '\0');
  if (Status s = in->Read(name.data(), name.size()); !s.ok()) return s;
  entry += name;
  char rest[8 + 4 + 4];
  if (Status s = in->Read(rest, sizeof(rest)); !s.ok()) return s;
  entry.append(rest, 12);
  const uint32_t entry_crc = crc32c::Unmask(DecodeFixed32(rest + 12));
  if (entry_crc != crc32c::Value(entry.data(), entry.size())) {
    return in->Corrupt("file entry header checksum mismatch at byte " +
                       std::to_string(in->consumed() - entry.size() - 4));
  }
  const uint64_t size = DecodeFixed64(rest);
  const uint32_t want_crc = crc32c::Unmask(DecodeFixed32(rest + 8));
  if (!fs::IsPlainFileName(name)) return in->Corrupt("unsafe file name");
  if (!seen->insert(name).second) return in->Corrupt("duplicate file " + name);
  if (size > in->remaining()) return in->Corrupt("file " + name + " runs past the end");

  const std::string path = fs::Join(dest_dir, name);
  Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.ok()) return Errno("create", path);
  std::string buf(kChunk, '\0');
  uint32_t crc = 0;
  for (uint64_t left = size; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (Status s = in->Read(buf.data(), n); !s.ok()) return s;
    crc = crc32c::Extend(crc, buf.data(), n);
    if (Status s = WriteAll(out.get(), buf.data(), n, path); !s.ok()) return s;
    left -= n;
  }
  if (crc != want_crc) return in->Corrupt("crc mismatch in file " + name);
  if (::fsync(out.get()) != 0) return Errno("fsync", path);
  if (out.Close() != 0) return Errno("close", path);
  return Status::Ok();
}

Status ExtractInto(const std::string& archive_path, const std::string& dest_dir) {
  Fd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", archive_path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno("stat", archive_path);
  ArchiveReader in(fd.get(), archive_path, static_cast<uint64_t>(st.st_size));

  char header[kMagicSize + 12];
  if (Status s = in.Read(header, sizeof(header)); !s.ok()) return s;
  if (crc32c::Unmask(DecodeFixed32(header + kMagicSize + 8)) !=
      crc32c::Value(header, kMagicSize + 8)) {
    return in.Corrupt("header checksum mismatch");
  }
  if (std::memcmp(header, kArchiveMagic, kMagicSize) != 0) return in.Corrupt("bad magic");
  const uint32_t version = DecodeFixed32(header + kMagicSize);
  if (version != kArchiveVersion) {
    return in.Corrupt("unsupported version " + std::to_string(version));
  }
  const uint32_t count = DecodeFixed32(header + kMagicSize + 4);
  if (count > kMaxFiles) return in.Corrupt("too many files");

  std::set<std::string> seen;
  for (uint32_t i = 0; i < count; ++i) {
    if (Status s = ExtractOneFile(&in, dest_dir, &seen); !s.ok()) return s;
  }

  const uint64_t body_bytes = in.consumed();
  char trailer[kMagicSize + 8];
  if (Status s = in.Read(trailer, sizeof(trailer)); !s.ok()) return s;
  const uint32_t want_crc = in.crc();
  char crc_bytes[4];
  if (Status s = in.Read(crc_bytes, 4); !s.ok()) return s;
  if (crc32c::Unmask(DecodeFixed32(crc_bytes)) != want_crc) {
    return in.Corrupt("archive checksum mismatch");
  }
  if (std::memcmp(trailer, kTrailerMagic, kMagicSize) != 0) return in.Corrupt("bad trailer");
  if (DecodeFixed64(trailer + kMagicSize) != body_bytes) return in.Corrupt("length mismatch");
  if (in.remaining() != 0) return in.Corrupt("trailing bytes after the trailer");

  if (Status s = fs::SyncDir(dest_dir); !s.ok()) return s;
  // The files are intact as shipped; the manifest check proves they are
  // the snapshot that was taken (nothing missing, nothing extra).
  Result<SnapshotManifest> m = VerifySnapshot(dest_dir);
  return m.status();
}

}  // namespace

Status WriteArchive(const std::string& snapshot_dir, const std::string& archive_path) {
  Result<std::vector<std::string>> names = fs::ListRegularFiles(snapshot_dir);
  if (!names.ok()) return names.status();
  Fd fd(::open(archive_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.ok()) return Errno("create", archive_path);
  ArchiveWriter out(fd.get(), archive_path);

  std::string header(kArchiveMagic, kMagicSize);
  PutFixed32(&header, kArchiveVersion);
  PutFixed32(&header, static_cast<uint32_t>(names->size()));
  PutFixed32(&header, crc32c::Mask(crc32c::Value(header.data(), header.size())));
  Status s = out.Write(header);
  for (size_t i = 0; s.ok() && i < names->size(); ++i)
    s = WriteOneFile(&out, snapshot_dir, (*names)[i]);
  if (s.ok()) {
    std::string trailer(kTrailerMagic, kMagicSize);
    PutFixed64(&trailer, out.written());
    s = out.Write(trailer);
  }
  if (s.ok()) {
    std::string crc;
    PutFixed32(&crc, crc32c::Mask(out.crc()));
    s = out.Write(crc);
  }
  if (s.ok() && ::fsync(fd.get()) != 0) s = Errno("fsync", archive_path);
  if (s.ok() && fd.Close() != 0) s = Errno("close", archive_path);
  if (!s.ok()) {
    ::unlink(archive_path.c_str());
    return s;
  }
  return Status::Ok();
}

Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir) {
  if (fs::Exists(dest_dir)) return Status(Code::kAlreadyExists, dest_dir + " already exists");
  if (::mkdir(dest_dir.c_str(), 0755) != 0) return Errno("mkdir", dest_dir);
  Status s = ExtractInto(archive_path, dest_dir);
  if (!s.ok()) (void)fs::RemoveAll(dest_dir);
  return s;
}

}  // namespace cairn::storage
