#include "storage/state_engine_snapshot.h"

#include <algorithm>

#include "base/coding.h"
#include "base/crc32c.h"
#include "storage/state_engine_fs.h"

namespace cairn::storage {
namespace {

constexpr char kManifestMagic[] = "CAIRNSNP";
constexpr size_t kMagicSize = 8;
// magic, version, index, term, count ... crc
constexpr size_t kManifestFixedBytes = kMagicSize + 4 + 8 + 8 + 4 + 4;
constexpr uint64_t kMaxManifestBytes = 64 << 20;

Status Corrupt(const std::string& what) {
  return Status(Code::kDataLoss, "snapshot manifest: " + what);
}

}  // namespace

std::string EncodeSnapshotManifest(const SnapshotManifest& manifest) {
  std::string out(kManifestMagic, kMagicSize);
  PutFixed32(&out, manifest.format_version);
  PutFixed64(&out, manifest.applied_index);
  PutFixed64(&out, manifest.applied_term);
  PutFixed32(&out, static_cast<uint32_t>(manifest.files.size()));
  for (const SnapshotFile& f : manifest.files) {
    PutLengthPrefixed(&out, f.name);
    PutFixed64(&out, f.size);
    PutFixed32(&out, crc32c::Mask(f.crc));
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<SnapshotManifest> DecodeSnapshotManifest(Slice data) {
  if (data.size() < kManifestFixedBytes) return Corrupt("truncated");
  const size_t body = data.size() - 4;
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(data.data() + body));
  if (stored != crc32c::Value(data.data(), body)) return Corrupt("checksum mismatch");
  if (Slice(data.data(), kMagicSize) != Slice(kManifestMagic, kMagicSize)) {
    return Corrupt("bad magic");
  }
  Slice in(data.data() + kMagicSize, body - kMagicSize);
  SnapshotManifest m;
  uint32_t count = 0;
  if (!GetFixed32(&in, &m.format_version) || !GetFixed64(&in, &m.applied_index) ||
      !GetFixed64(&in, &m.applied_term) || !GetFixed32(&in, &count)) {
    return Corrupt("truncated header");
  }
  if (m.format_version != kSnapshotFormatVersion) {
    return Corrupt("unsupported format version " + std::to_string(m.format_version));
  }
  // Each entry is at least 1 + 1 + 8 + 4 bytes; bounds the reservation.
  if (count > in.size() / 14) return Corrupt("file count exceeds its size");
  m.files.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Slice name;
    SnapshotFile f;
    uint32_t masked = 0;
    if (!GetLengthPrefixed(&in, &name) || !GetFixed64(&in, &f.size) || !GetFixed32(&in, &masked)) {
      return Corrupt("truncated file entry " + std::to_string(i));
    }
    if (!fs::IsPlainFileName(name) || name == Slice(kSnapshotManifestName)) {
      return Corrupt("bad file name in entry " + std::to_string(i));
    }
    f.name = name.ToString();
    if (!m.files.empty() && m.files.back().name >= f.name) {
      return Corrupt("file names not sorted and unique at " + f.name);
    }
    f.crc = crc32c::Unmask(masked);
    m.files.push_back(std::move(f));
  }
  if (!in.empty()) return Corrupt("trailing bytes");
  return m;
}

Result<SnapshotManifest> WriteSnapshotManifest(const std::string& dir, uint64_t applied_index,
                                               uint64_t applied_term) {
  Result<std::vector<std::string>> names = fs::ListRegularFiles(dir);
  if (!names.ok()) return names.status();
  SnapshotManifest m;
  m.applied_index = applied_index;
  m.applied_term = applied_term;
  for (const std::string& name : *names) {
    if (name == kSnapshotManifestName) {
      return Status(Code::kFailedPrecondition, dir + " already has a manifest");
    }
    if (!fs::IsPlainFileName(name)) return Status(Code::kInternal, "unusable file name " + name);
    Result<fs::FileCheck> check = fs::ChecksumFile(fs::Join(dir, name));
    if (!check.ok()) return check.status();
    m.files.push_back({name, check->size, check->crc});
  }
  if (Status s = fs::WriteNewFile(fs::Join(dir, kSnapshotManifestName), EncodeSnapshotManifest(m));
      !s.ok()) {
    return s;
  }
  if (Status s = fs::SyncDir(dir); !s.ok()) return s;
  return m;
}

Result<SnapshotManifest> VerifySnapshot(const std::string& dir) {
  const std::string manifest_path = fs::Join(dir, kSnapshotManifestName);
  if (!fs::Exists(manifest_path)) return Status(Code::kDataLoss, "missing " + manifest_path);
  Result<std::string> data = fs::ReadSmallFile(manifest_path, kMaxManifestBytes);
  if (!data.ok()) return data.status();
  Result<SnapshotManifest> m = DecodeSnapshotManifest(*data);
  if (!m.ok()) return Status(Code::kDataLoss, manifest_path + ": " + m.status().message());

  Result<std::vector<std::string>> names = fs::ListRegularFiles(dir);
  if (!names.ok()) return names.status();
  names->erase(std::remove(names->begin(), names->end(), std::string(kSnapshotManifestName)),
               names->end());
  // Both lists are sorted: walk them together to name the first difference.
  size_t i = 0;
  for (const SnapshotFile& f : m->files) {
    if (i < names->size() && (*names)[i] < f.name) {
      return Status(Code::kDataLoss,
                    "snapshot file not in manifest: " + fs::Join(dir, (*names)[i]));
    }
    if (i >= names->size() || (*names)[i] != f.name) {
      return Status(Code::kDataLoss, "snapshot file missing: " + fs::Join(dir, f.name));
    }
    ++i;
    const std::string path = fs::Join(dir, f.name);
    Result<fs::FileCheck> check = fs::ChecksumFile(path);
    if (!check.ok()) return check.status();
    if (check->size != f.size) {
      return Status(Code::kDataLoss, "snapshot file size mismatch: " + path + " is " +
                                         std::to_string(check->size) + " bytes, manifest says " +
                                         std::to_string(f.size));
    }
    if (check->crc != f.crc) return Status(Code::kDataLoss, "snapshot file crc mismatch: " + path);
  }
  if (i < names->size()) {
    return Status(Code::kDataLoss, "snapshot file not in manifest: " + fs::Join(dir, (*names)[i]));
  }
  return m;
}

}  // namespace cairn::storage
