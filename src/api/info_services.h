#pragma once

#include "api/kv_backend.h"
#include "api/maintenance_backend.h"
#include "api/maintenance_jobs.h"
#include "api/node_info.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

// etcd's Maintenance service (Status here; the rest in
// maintenance_service.cc and maintenance_snapshot.cc). The Cluster service
// is in cluster_service.h.
namespace cairn::api {

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  // Without `kv` and `maint` only Status answers (the others UNIMPLEMENTED).
  explicit MaintenanceService(const NodeInfo* node, KvBackend* kv = nullptr,
                              MaintenanceBackend* maint = nullptr)
      : node_(node), kv_(kv), maint_(maint) {}
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::StatusRequest* request,
                                   etcdserverpb::StatusResponse* response) override;
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* ctx,
                                 const etcdserverpb::HashRequest* request,
                                 etcdserverpb::HashResponse* response) override;
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::HashKVRequest* request,
                                   etcdserverpb::HashKVResponse* response) override;
  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::AlarmRequest* request,
                                  etcdserverpb::AlarmResponse* response) override;
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::DefragmentRequest* request,
                                       etcdserverpb::DefragmentResponse* response) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MoveLeaderRequest* request,
                                       etcdserverpb::MoveLeaderResponse* response) override;
  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Snapshot(
      grpc::CallbackServerContext* ctx, const etcdserverpb::SnapshotRequest* request) override;

  // Waits for running jobs and refuses new ones; before the node goes.
  void Stop() { jobs_.Stop(); }

 private:
  void FillKvHeader(etcdserverpb::ResponseHeader* header) const;
  // Runs `job` on a job thread; finishes `reactor` with its status.
  void RunJob(grpc::ServerUnaryReactor* reactor, std::function<cairn::Status()> job);

  const NodeInfo* node_;
  KvBackend* kv_;
  MaintenanceBackend* maint_;
  MaintenanceJobs jobs_;
};

// How etcd prints an alarm in StatusResponse.errors (Go's compact text form
// of AlarmMember).
std::string AlarmText(const etcdserverpb::AlarmMember& alarm);

}  // namespace cairn::api
