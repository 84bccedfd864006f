#pragma once

#include "api/node_info.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

// The read-only parts of etcd's Maintenance service: what `etcdctl endpoint
// status` uses. Its other RPCs answer UNIMPLEMENTED (docs/API.md). The
// Cluster service is in cluster_service.h.
namespace cairn::api {

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(const NodeInfo* node) : node_(node) {}
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::StatusRequest* request,
                                   etcdserverpb::StatusResponse* response) override;

 private:
  const NodeInfo* node_;
};

}  // namespace cairn::api
