#include "client/lease.h"

namespace cairn::client {

Result<etcdserverpb::LeaseGrantResponse> Lease::Grant(int64_t ttl_seconds, int64_t id) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  request.set_id(id);
  // Granting twice would leave a second lease behind to expire on its own.
  return connection_.Call<etcdserverpb::Lease>(&etcdserverpb::Lease::Stub::LeaseGrant, request,
                                               {.idempotent = false});
}

Result<etcdserverpb::LeaseRevokeResponse> Lease::Revoke(int64_t id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  return connection_.Call<etcdserverpb::Lease>(&etcdserverpb::Lease::Stub::LeaseRevoke, request,
                                               {.idempotent = false});
}

Result<etcdserverpb::LeaseTimeToLiveResponse> Lease::TimeToLive(int64_t id, bool keys) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  request.set_keys(keys);
  return connection_.Call<etcdserverpb::Lease>(&etcdserverpb::Lease::Stub::LeaseTimeToLive,
                                               request);
}

Result<etcdserverpb::LeaseLeasesResponse> Lease::Leases() {
  return connection_.Call<etcdserverpb::Lease>(&etcdserverpb::Lease::Stub::LeaseLeases,
                                               etcdserverpb::LeaseLeasesRequest());
}

KeepAliveStream::~KeepAliveStream() {
  if (stream_ == nullptr) return;
  ctx_->TryCancel();
  (void)Finish();
}

Status KeepAliveStream::Open(size_t endpoint) {
  ctx_ = std::make_unique<grpc::ClientContext>();
  if (cancellation_ != nullptr && !cancellation_->Attach(ctx_.get())) return CancelledByUser();
  stub_ = etcdserverpb::Lease::NewStub(connection_.channel(endpoint));
  stream_ = stub_->LeaseKeepAlive(ctx_.get());
  return Status::Ok();
}

Status KeepAliveStream::Finish() {
  Status s = FromGrpc(stream_->Finish());
  stream_.reset();
  if (cancellation_ != nullptr) {
    cancellation_->Detach(ctx_.get());
    if (cancellation_->cancelled()) return CancelledByUser();
  }
  if (s.ok()) s = Status(Code::kUnavailable, "keep-alive stream closed by the server");
  return s;
}

Result<etcdserverpb::LeaseKeepAliveResponse> KeepAliveStream::Send(int64_t id) {
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse response;
  if (stream_ != nullptr) {
    if (stream_->Write(request) && stream_->Read(&response)) return response;
    Status s = Finish();
    if (!ShouldTryNextEndpoint(s, /*idempotent=*/true)) return s;
  }
  // (Re)open: a keep-alive is idempotent, so any endpoint will do.
  Status last(Code::kUnavailable, "no endpoints");
  for (size_t i : EndpointOrder(connection_.endpoints().size(), connection_.preferred())) {
    if (Status s = Open(i); !s.ok()) return s;
    if (stream_->Write(request) && stream_->Read(&response)) {
      connection_.set_preferred(i);
      return response;
    }
    last = Finish();
    if (!ShouldTryNextEndpoint(last, /*idempotent=*/true)) break;
  }
  return last;
}

}  // namespace cairn::client
