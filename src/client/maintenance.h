#pragma once

#include <functional>
#include <string>

#include "client/connection.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::client {

// etcd's Maintenance service. Most of it is about one member, so commands
// use it on a Connection to a single endpoint.
class Maintenance {
 public:
  explicit Maintenance(Connection& connection) : connection_(connection) {}

  Result<etcdserverpb::StatusResponse> MemberStatus();
  Result<etcdserverpb::HashKVResponse> HashKv(int64_t revision);
  Result<etcdserverpb::DefragmentResponse> Defragment();
  Result<etcdserverpb::AlarmResponse> AlarmList();
  // Disarms every alarm the cluster has raised.
  Result<etcdserverpb::AlarmResponse> AlarmDisarmAll();
  Result<etcdserverpb::MoveLeaderResponse> MoveLeader(uint64_t target_id);
  // Streams the member's snapshot into `path` (written as path.part, synced,
  // then renamed, so a failed save never leaves a truncated file under the
  // final name). Returns the number of bytes saved.
  // `progress` (if set) hears the bytes saved so far and the total the
  // member announced (remaining_bytes), after every chunk.
  Result<uint64_t> SaveSnapshot(
      const std::string& path,
      std::function<void(uint64_t saved, uint64_t total)> progress = nullptr);

 private:
  Connection& connection_;
};

}  // namespace cairn::client
