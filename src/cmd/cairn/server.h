#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/auth_service.h"
#include "api/election_service.h"
#include "api/info_services.h"
#include "api/kv_backend.h"
#include "api/kv_service.h"
#include "api/lease_backend.h"
#include "api/lease_keeper.h"
#include "api/lease_service.h"
#include "api/lock_service.h"
#include "api/maintenance_backend.h"
#include "api/node_info.h"
#include "api/watch_hub.h"
#include "api/watch_service.h"
#include "cluster/grpc_transport.h"
#include "cluster/grpc_transport_service.h"
#include "cluster/replica.h"
#include "cmd/cairn/config.h"
#include "cmd/cairn/space_quota.h"
#include "storage/wal.h"

namespace cairn::cmd {

// One cairn member: its WAL, the data group's replica, the peer transport
// and the client-facing etcd services, wired together.
class Server final : public api::LeaseBackend,
                     public api::NodeInfo,
                     public api::MaintenanceBackend {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server() override;

  // Stops serving: client listener first, then the replica, then peers.
  void Shutdown();

  uint64_t member_id() const { return member_id_; }
  uint64_t cluster_id() const { return cluster_id_; }
  const std::vector<std::string>& client_addresses() const { return client_addresses_; }

  // api::KvBackend
  void Write(const cairnpb::RaftRequest& request,
             std::function<void(Result<kv::ApplyResult>)> done) override;
  void ReadBarrier(std::function<void(Status)> done) override;
  const kv::MvccStore& store() const override { return replica_->store(); }
  Header header() const override;
  int max_txn_ops() const override { return config_.max_txn_ops; }
  size_t max_request_bytes() const override { return config_.max_request_bytes; }

  // api::LeaseBackend
  void LeaderQuery(const cairnpb::RaftRequest& request,
                   std::function<void(Result<kv::ApplyResult>)> done) override;
  int64_t min_lease_ttl() const override;
  int64_t NewLeaseId() override;

  // api::NodeInfo
  State state() const override;
  std::vector<NodeInfo::Member> members() const override;

  // api::MaintenanceBackend (server_maintenance.cc)
  Status Defragment() override;
  Status MoveLeader(uint64_t target, std::chrono::steady_clock::time_point deadline) override;
  Result<std::string> CreateSnapshotFile() override;
  void RemoveSnapshotFile(const std::string& path) override;

 private:
  static constexpr uint64_t kDataGroup = 1;
  explicit Server(ServerConfig config) : config_(std::move(config)) {}
  Status Init();
  // The leader's answer to a lease query (LeaderQuery), or why there is none.
  Result<kv::ApplyResult> AnswerQuery(const cairnpb::RaftRequest& request);
  // Hands `request` to the leader this member knows, or fails with "no leader".
  void ForwardToLeader(const cairnpb::RaftRequest& request,
                       std::function<void(Result<kv::ApplyResult>)> done);
  // Before proposing: refuses what the raised alarms or the space quota
  // forbid, raising NOSPACE when the quota is the reason (etcd's order).
  Status CheckSpace(const cairnpb::RaftRequest& request);
  // Where Maintenance.Snapshot cuts its archives (emptied at startup).
  std::string SnapshotStreamDir() const;

  ServerConfig config_;
  std::vector<cmd::Member> members_;
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;
  std::vector<std::string> client_addresses_;

  std::unique_ptr<storage::Wal> wal_;
  std::unique_ptr<cluster::GrpcTransport> transport_;
  std::unique_ptr<cluster::PeerService> peer_service_;
  std::unique_ptr<grpc::Server> peer_server_;
  std::unique_ptr<cluster::Replica> replica_;
  // Watches read the replica's store; the replica's apply thread notifies
  // the hub through this pointer (null before the hub exists and once it
  // has stopped).
  std::unique_ptr<api::WatchHub> watch_hub_;
  std::atomic<api::WatchHub*> watch_hub_ptr_{nullptr};
  std::unique_ptr<api::WatchService> watch_service_;
  std::unique_ptr<api::KvService> kv_service_;
  std::unique_ptr<api::LeaseKeeper> lease_keeper_;
  std::unique_ptr<api::LeaseService> lease_service_;
  std::unique_ptr<api::LockService> lock_service_;
  std::unique_ptr<api::ElectionService> election_service_;
  std::atomic<uint64_t> last_lease_id_{0};
  std::unique_ptr<api::MaintenanceService> maintenance_service_;
  std::unique_ptr<api::ClusterService> cluster_service_;
  std::unique_ptr<api::AuthService> auth_service_;
  std::unique_ptr<grpc::Server> client_server_;
  std::unique_ptr<SpaceQuota> quota_;
  std::atomic<uint64_t> snapshot_seq_{0};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

}  // namespace cairn::cmd
