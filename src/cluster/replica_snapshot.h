#pragma once

#include <string>

#include "base/status.h"
#include "kv/mvcc_store.h"

// Moving a group's state machine between members as Raft snapshot data: the
// store's checkpoint packed into one archive (storage/state_engine_snapshot.h)
// and held as bytes, which the Raft core sends in chunks.
namespace cairn::cluster {

// Scratch paths next to the group's state directory (same filesystem, so
// checkpoints hard-link instead of copying).
struct SnapshotPaths {
  explicit SnapshotPaths(const std::string& state_dir);
  std::string scratch;  // a directory for checkpoints and extractions
  // Received snapshots, one file per snapshot index, each made durable
  // before the WAL records its snapshot point and deleted once the store
  // holds that index: if the process dies in between, startup restores from
  // it. One file per index because a second snapshot can arrive while the
  // apply thread is still installing the first.
  std::string Pending(uint64_t index) const;
  // Where versions before 0.2 kept the one pending snapshot (read at start).
  std::string legacy_pending;

 private:
  std::string state_dir_;
};

// The store's current state as archive bytes.
Result<std::string> PackStore(kv::MvccStore& store, const SnapshotPaths& paths);
// Writes `data`, the snapshot at `index`, to paths.Pending(index) durably.
Status SavePending(const std::string& data, uint64_t index, const SnapshotPaths& paths);
// Restores the store from the archive at `file` (verified end to end
// first), then removes every pending snapshot up to `index`, the one
// restored included; newer ones stay for their own install.
Status RestorePending(kv::MvccStore& store, const std::string& file, uint64_t index,
                      const SnapshotPaths& paths);

}  // namespace cairn::cluster
