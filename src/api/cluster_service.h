#pragma once

#include "api/membership_backend.h"
#include "api/node_info.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// etcd's Cluster service: MemberList from the member table this node has
// applied; MemberAdd, MemberRemove, MemberUpdate and MemberPromote through
// the data group's log (MembershipBackend), answered once applied.
class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  ClusterService(const NodeInfo* node, MembershipBackend* backend)
      : node_(node), backend_(backend) {}

  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx,
                                      const etcdserverpb::MemberAddRequest* request,
                                      etcdserverpb::MemberAddResponse* response) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* request,
                                         etcdserverpb::MemberRemoveResponse* response) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberUpdateRequest* request,
                                         etcdserverpb::MemberUpdateResponse* response) override;
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* request,
                                       etcdserverpb::MemberListResponse* response) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* request,
                                          etcdserverpb::MemberPromoteResponse* response) override;

 private:
  const NodeInfo* node_;
  MembershipBackend* backend_;
};

// etcd's check of member URLs: http:// or https://, host:port, no path.
bool ValidPeerUrls(const google::protobuf::RepeatedPtrField<std::string>& urls);

}  // namespace cairn::api
