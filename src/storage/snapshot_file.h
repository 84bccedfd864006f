#pragma once

#include <cstdint>
#include <string>

#include "base/slice.h"
#include "base/status.h"

// The file `etcdctl snapshot save` writes from Cairn's Maintenance.Snapshot
// stream: the archive (state_engine_snapshot.h), zero padding, the
// archive's length (fixed64, little-endian), then the SHA-256 of all that.
//
// The padding is there because etcdctl 3.4 accepts a saved file only if
// its size is 32 more than a multiple of 512 (an etcd backend is whole
// pages, and etcd appends a 32-byte SHA-256), so everything before the
// SHA-256 is padded to a multiple of 512.
namespace cairn::storage {

inline constexpr uint64_t kSnapshotFileAlign = 512;
inline constexpr uint64_t kSnapshotFileFooter = 8;

// Appends the padding and the length to an archive file, in place.
Status PadSnapshotArchive(const std::string& archive_path);

// The archive's length inside a padded body of `body_size` bytes whose
// last 8 bytes are `footer`; DataLoss when the two cannot belong together.
Result<uint64_t> PaddedArchiveLength(uint64_t body_size, Slice footer);

}  // namespace cairn::storage
