#pragma once

#include <memory>

#include "client/connection.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::client {

// etcd's Lease service (unary calls).
class Lease {
 public:
  explicit Lease(Connection& connection) : connection_(connection) {}

  Result<etcdserverpb::LeaseGrantResponse> Grant(int64_t ttl_seconds, int64_t id = 0);
  Result<etcdserverpb::LeaseRevokeResponse> Revoke(int64_t id);
  Result<etcdserverpb::LeaseTimeToLiveResponse> TimeToLive(int64_t id, bool keys);
  Result<etcdserverpb::LeaseLeasesResponse> Leases();

 private:
  Connection& connection_;
};

// etcd's LeaseKeepAlive stream: each Send writes one keep-alive and waits
// for its answer. A TTL of 0 in the answer means the lease is gone.
class KeepAliveStream {
 public:
  KeepAliveStream(Connection& connection, Cancellation* cancellation)
      : connection_(connection), cancellation_(cancellation) {}
  ~KeepAliveStream();

  Result<etcdserverpb::LeaseKeepAliveResponse> Send(int64_t id);

 private:
  using Stream = grpc::ClientReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                          etcdserverpb::LeaseKeepAliveResponse>;
  Status Open(size_t endpoint);
  Status Finish();

  Connection& connection_;
  Cancellation* cancellation_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<etcdserverpb::Lease::Stub> stub_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace cairn::client
