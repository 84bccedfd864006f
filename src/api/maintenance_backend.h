#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace cairn::api {

// What etcd's Maintenance service needs from the node beyond the KV
// backend. Every call may block for a while: the service makes them from
// its own job threads, never from gRPC's.
class MaintenanceBackend {
 public:
  virtual ~MaintenanceBackend() = default;

  // Compacts the data group's database fully (etcd's defragment).
  virtual Status Defragment() = 0;
  // etcd's MoveLeader: this member must lead and `target` must be a voting
  // member; waits until `target` leads or `deadline`. Errors are etcd's.
  virtual Status MoveLeader(uint64_t target, std::chrono::steady_clock::time_point deadline) = 0;
  // A consistent snapshot of the data group, as one archive file
  // (storage/state_engine_snapshot.h) that the caller streams and then
  // gives back to RemoveSnapshotFile.
  virtual Result<std::string> CreateSnapshotFile() = 0;
  virtual void RemoveSnapshotFile(const std::string& path) = 0;
};

}  // namespace cairn::api
