#pragma once

#include "api/node_info.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

// The read-only parts of etcd's Maintenance and Cluster services: what
// `etcdctl endpoint status` and `etcdctl member list` use. Their other RPCs
// answer UNIMPLEMENTED (docs/API.md).
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

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  explicit ClusterService(const NodeInfo* node) : node_(node) {}
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* request,
                                       etcdserverpb::MemberListResponse* response) override;

 private:
  const NodeInfo* node_;
};

}  // namespace cairn::api
