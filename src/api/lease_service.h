#pragma once

#include "api/lease_backend.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// etcd's Lease service. Grant and revoke go through consensus; keep-alive
// and time-to-live are answered by the leader, which alone keeps lease
// time; Leases lists the committed table after a read barrier.
class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit LeaseService(LeaseBackend* backend) : backend_(backend) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* request,
                                       etcdserverpb::LeaseGrantResponse* response) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* request,
                                        etcdserverpb::LeaseRevokeResponse* response) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(
      grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseTimeToLiveRequest* request,
      etcdserverpb::LeaseTimeToLiveResponse* response) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* request,
                                        etcdserverpb::LeaseLeasesResponse* response) override;

 private:
  LeaseBackend* backend_;
};

}  // namespace cairn::api
