#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/slice.h"
#include "base/status.h"

// A state-machine snapshot is a directory: a RocksDB checkpoint plus a
// manifest file (kSnapshotManifestName) listing every other file in the
// directory with its size and CRC32C, and the applied index and term the
// checkpoint contains. Format: docs/ARCHITECTURE.md, "Storage: state
// machine".
namespace cairn::storage {

inline constexpr const char* kSnapshotManifestName = "CAIRN-SNAPSHOT";
inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotFile {
  std::string name;
  uint64_t size = 0;
  uint32_t crc = 0;  // CRC32C of the contents, unmasked

  bool operator==(const SnapshotFile&) const = default;
};

struct SnapshotManifest {
  uint32_t format_version = kSnapshotFormatVersion;
  uint64_t applied_index = 0;
  uint64_t applied_term = 0;
  std::vector<SnapshotFile> files;  // sorted by name

  bool operator==(const SnapshotManifest&) const = default;
};

std::string EncodeSnapshotManifest(const SnapshotManifest& manifest);
// Strict: any malformed, truncated or trailing byte is DataLoss.
Result<SnapshotManifest> DecodeSnapshotManifest(Slice data);

// Lists `dir`, checksums every file and writes the manifest (fsynced, and
// the directory too).
Result<SnapshotManifest> WriteSnapshotManifest(const std::string& dir, uint64_t applied_index,
                                               uint64_t applied_term);

// Recomputes every file's size and checksum and compares them with the
// manifest; a missing, extra, resized or altered file is DataLoss naming it.
Result<SnapshotManifest> VerifySnapshot(const std::string& dir);

// A snapshot directory as one byte stream (what InstallSnapshot ships).
// The archive holds every file of the directory, the manifest included.
Status WriteArchive(const std::string& snapshot_dir, const std::string& archive_path);
// Unpacks into dest_dir (which must not exist), checking every file's CRC,
// the whole-archive CRC and then the manifest. On any error dest_dir is
// removed and the error (DataLoss for corruption) is returned.
Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir);

}  // namespace cairn::storage
