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
  // A received snapshot, made durable before the WAL records the snapshot
  // point, and deleted once the store holds it: if the process dies in
  // between, startup restores from it.
  std::string pending;
};

// The store's current state as archive bytes.
Result<std::string> PackStore(kv::MvccStore& store, const SnapshotPaths& paths);
// Writes `data` to paths.pending durably.
Status SavePending(const std::string& data, const SnapshotPaths& paths);
// Restores the store from paths.pending (verified end to end first), then
// removes it.
Status RestorePending(kv::MvccStore& store, const SnapshotPaths& paths);

}  // namespace cairn::cluster
