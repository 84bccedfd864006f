#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/auth_service.h"
#include "api/cluster_service.h"
#include "api/diagnostics_service.h"
#include "api/election_service.h"
#include "api/grpc_metrics.h"
#include "api/info_services.h"
#include "api/kv_backend.h"
#include "api/kv_service.h"
#include "api/lease_backend.h"
#include "api/lease_keeper.h"
#include "api/lease_service.h"
#include "api/lock_service.h"
#include "api/maintenance_backend.h"
#include "api/node_info.h"
#include "api/telemetry_recorder.h"
#include "api/watch_hub.h"
#include "api/watch_service.h"
#include "base/http_server.h"
#include "base/metrics.h"
#include "base/worker_pool.h"
#include "client/member_probe.h"
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
                     public api::MaintenanceBackend,
                     public api::MembershipBackend {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server() override;

  // Stops serving: client listener first, then the replica, then peers.
  void Shutdown();
  // This member was removed from the cluster (it applied its own removal):
  // like etcd, it should stop.
  bool removed() const { return removed_.load(); }
  // OK, or the error that stopped the WAL (a failed write or fdatasync).
  // Nothing is acknowledged after one; only a restart, which recovers from
  // what is on disk, brings the member back, so main exits on it.
  Status storage_health() const;

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
  // api::MembershipBackend (server_members.cc)
  void ChangeMembers(const cairnpb::RaftRequest& request,
                     std::function<void(Status)> done) override;
  uint64_t NewMemberId(const std::vector<std::string>& peer_urls) override;

 private:
  static constexpr uint64_t kDataGroup = 1;
  // --unsafe-planted-bug ack-before-fsync: how long the WAL holds writes it
  // has already acknowledged (the window in which a kill -9 loses them).
  static constexpr std::chrono::milliseconds kPlantedWritePeriod{1000};
  explicit Server(ServerConfig config) : config_(std::move(config)) {}
  Status Init();
  // The leader's answer to a lease query (LeaderQuery), or why there is none.
  Result<kv::ApplyResult> AnswerQuery(const cairnpb::RaftRequest& request);
  // Hands `request` to the leader this member knows, or fails with "no leader".
  // (`replica`: the caller's pointer, which stays valid while the replica
  // is being stopped, unlike replica_.)
  void ForwardToLeader(cluster::Replica* replica, const cairnpb::RaftRequest& request,
                       std::function<void(Result<kv::ApplyResult>)> done);
  // Before proposing: refuses what the raised alarms or the space quota
  // forbid, raising NOSPACE when the quota is the reason (etcd's order).
  Status CheckSpace(const cairnpb::RaftRequest& request);
  // Where Maintenance.Snapshot cuts its archives (emptied at startup).
  std::string SnapshotStreamDir() const;

  // Membership (server_members.cc).
  // Sets member_id_ and cluster_id_ (from the data directory, from
  // --initial-cluster for a new cluster, or from a running member when
  // joining one), bootstrap_ and the peers to start with.
  Status ResolveIdentity(bool has_state, std::map<raft::NodeId, std::string>* peers);
  Status JoinExisting(std::map<raft::NodeId, std::string>* peers);
  // Points the transport at every member in the applied member table and
  // notices this member's own removal; runs after each membership change.
  void SyncMembers(const kv::MvccStore& store);
  // Proposes this member's name and client URLs once (etcd's publish).
  void PublishLoop();
  // Proposes here, or hands the request to the leader.
  void ProposeOrForward(const cairnpb::RaftRequest& request,
                        std::function<void(Result<kv::ApplyResult>)> done);
  Status CheckMembership(const cairnpb::RaftRequest& request,
                         const cluster::MembershipView& view) const;

  ServerConfig config_;
  std::vector<cmd::Member> members_;
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;
  std::vector<std::string> client_addresses_;
  std::vector<raft::ConfChange> bootstrap_;
  std::mutex members_mu_;            // serialises SyncMembers
  std::set<raft::NodeId> peer_ids_;  // members_mu_: peers given to the transport
  // members_mu_: the member table last applied (id -> learner), for the
  // log line of each change.
  std::map<raft::NodeId, bool> known_members_;
  void LogMemberChanges(const cairnpb::MemberTable& table);
  std::atomic<bool> learner_{false};  // this member is a learner
  std::atomic<bool> removed_{false};
  // Ids removed from the cluster, for refusing their peer streams.
  mutable std::mutex removed_ids_mu_;
  std::set<raft::NodeId> removed_ids_;  // removed_ids_mu_
  void NoticeRemoval(const char* how);
  std::thread publisher_;
  std::mutex publish_mu_;
  std::condition_variable publish_cv_;
  bool publish_stop_ = false;  // publish_mu_

  // Metrics (server_metrics.cc): made first, served last, stopped first.
  void InitMetrics();
  void RegisterScrapedMetrics();
  Status StartMetricsListeners();
  HttpResponse ServeHttp(const HttpRequest& request);
  // A one-key read of this member's store, and the same after a read
  // barrier with etcd's request timeout: the health checks' reads.
  Status LocalReadCheck();
  Status LinearizableReadCheck();
  // Telemetry (server_telemetry.cc): a reading a second, for the dashboard
  // and cairnctl doctor (cairnpb.Diagnostics).
  void StartTelemetry();
  void StopTelemetry();
  cairnpb::TelemetryResponse Telemetry(uint32_t history_seconds);
  // The dashboard (server_dashboard.cc): / and /api/v1/cluster.
  HttpResponse ServeDashboard(const HttpRequest& request);
  std::string ClusterJson(uint32_t history_seconds);
  api::TelemetryRecorder telemetry_;
  std::chrono::steady_clock::time_point started_at_;
  std::thread telemetry_thread_;
  std::mutex telemetry_mu_;
  std::condition_variable telemetry_cv_;
  bool telemetry_stop_ = false;  // telemetry_mu_
  std::unique_ptr<api::DiagnosticsService> diagnostics_service_;
  client::ChannelCache dashboard_channels_;
  std::unique_ptr<metrics::Registry> metrics_;
  metrics::Histogram* wal_fsync_seconds_ = nullptr;
  metrics::Histogram* wal_batch_records_ = nullptr;
  metrics::Histogram* backend_commit_seconds_ = nullptr;
  std::unique_ptr<api::GrpcMetrics> grpc_metrics_;  // outlives client_server_

  std::unique_ptr<storage::Wal> wal_;
  std::unique_ptr<cluster::GrpcTransport> transport_;
  std::unique_ptr<cluster::PeerService> peer_service_;
  std::unique_ptr<grpc::Server> peer_server_;
  std::unique_ptr<cluster::Replica> replica_;
  // Where linearizable reads run once their barrier passes: the barrier is
  // answered on the replica's consensus or apply thread, which must not
  // spend its time reading the store (reads would queue behind each other
  // and delay heartbeats and commits).
  std::unique_ptr<WorkerPool> read_pool_;
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
  std::vector<std::unique_ptr<HttpServer>> metrics_http_;
  std::atomic<uint64_t> snapshot_seq_{0};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

}  // namespace cairn::cmd
