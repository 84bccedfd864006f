#include "client/election.h"

namespace cairn::client {

using ElectionService = v3electionpb::Election;

Result<v3electionpb::CampaignResponse> Election::Campaign(const std::string& name, int64_t lease_id,
                                                          const std::string& value,
                                                          Cancellation* cancellation) {
  v3electionpb::CampaignRequest request;
  request.set_name(name);
  request.set_lease(lease_id);
  request.set_value(value);
  // Like a lock, the candidate key is derived from the lease: a retry waits
  // on the same key.
  return connection_.Call<ElectionService>(
      &ElectionService::Stub::Campaign, request,
      {.idempotent = true, .wait_forever = true, .cancellation = cancellation});
}

Result<v3electionpb::ProclaimResponse> Election::Proclaim(const v3electionpb::LeaderKey& leader,
                                                          const std::string& value) {
  v3electionpb::ProclaimRequest request;
  *request.mutable_leader() = leader;
  request.set_value(value);
  return connection_.Call<ElectionService>(&ElectionService::Stub::Proclaim, request);
}

Result<v3electionpb::LeaderResponse> Election::Leader(const std::string& name) {
  v3electionpb::LeaderRequest request;
  request.set_name(name);
  return connection_.Call<ElectionService>(&ElectionService::Stub::Leader, request);
}

Result<v3electionpb::ResignResponse> Election::Resign(const v3electionpb::LeaderKey& leader) {
  v3electionpb::ResignRequest request;
  *request.mutable_leader() = leader;
  return connection_.Call<ElectionService>(&ElectionService::Stub::Resign, request);
}

ObserveStream::~ObserveStream() {
  if (stream_ == nullptr) return;
  ctx_->TryCancel();
  (void)Finish();
}

Status ObserveStream::Finish() {
  Status s = FromGrpc(stream_->Finish());
  stream_.reset();
  if (cancellation_ != nullptr) {
    cancellation_->Detach(ctx_.get());
    if (cancellation_->cancelled()) return CancelledByUser();
  }
  if (s.ok()) s = Status(Code::kUnavailable, "observe stream closed by the server");
  return s;
}

Status ObserveStream::Open(const std::string& name) {
  v3electionpb::LeaderRequest request;
  request.set_name(name);
  ctx_ = std::make_unique<grpc::ClientContext>();
  if (cancellation_ != nullptr && !cancellation_->Attach(ctx_.get())) return CancelledByUser();
  size_t endpoint = connection_.preferred();
  stub_ = ElectionService::NewStub(connection_.channel(endpoint));
  stream_ = stub_->Observe(ctx_.get(), request);
  return Status::Ok();
}

Status ObserveStream::Next(v3electionpb::LeaderResponse* response) {
  if (stream_ == nullptr) return Status(Code::kFailedPrecondition, "observe stream is not open");
  if (stream_->Read(response)) return Status::Ok();
  return Finish();
}

}  // namespace cairn::client
