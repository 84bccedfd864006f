#include "client/watch.h"

namespace cairn::client {

Status WatchCancelStatus(const etcdserverpb::WatchResponse& response) {
  if (response.compact_revision() > 0)
    return Status(Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted");
  std::string reason = response.cancel_reason();
  if (reason.empty()) reason = "watch canceled by the server";
  return Status(Code::kCancelled, reason);
}

WatchStream::~WatchStream() {
  Close();
}

void WatchStream::Close() {
  if (stream_ == nullptr) return;
  if (cancellation_ != nullptr) cancellation_->Detach(ctx_.get());
  ctx_->TryCancel();
  (void)stream_->Finish();
  stream_.reset();
}

Status WatchStream::EndOfStream() {
  Status s = FromGrpc(stream_->Finish());
  stream_.reset();
  if (cancellation_ != nullptr) {
    cancellation_->Detach(ctx_.get());
    if (cancellation_->cancelled()) return CancelledByUser();
  }
  if (s.ok()) s = Status(Code::kUnavailable, "watch stream closed by the server");
  return s;
}

Status WatchStream::Create(const etcdserverpb::WatchCreateRequest& request) {
  Close();
  Status last(Code::kUnavailable, "no endpoints");
  for (size_t i : EndpointOrder(connection_.endpoints().size(), connection_.preferred())) {
    ctx_ = std::make_unique<grpc::ClientContext>();
    if (cancellation_ != nullptr && !cancellation_->Attach(ctx_.get())) return CancelledByUser();
    stub_ = etcdserverpb::Watch::NewStub(connection_.channel(i));
    stream_ = stub_->Watch(ctx_.get());
    etcdserverpb::WatchRequest create;
    *create.mutable_create_request() = request;
    etcdserverpb::WatchResponse created;
    if (stream_->Write(create) && stream_->Read(&created)) {
      connection_.set_preferred(i);
      if (created.canceled()) {
        Close();
        return WatchCancelStatus(created);
      }
      return Status::Ok();
    }
    last = EndOfStream();
    if (!ShouldTryNextEndpoint(last, /*idempotent=*/true)) return last;
  }
  return last;
}

Status WatchStream::Next(etcdserverpb::WatchResponse* response) {
  if (stream_ == nullptr) return Status(Code::kFailedPrecondition, "watch stream is not open");
  if (!stream_->Read(response)) return EndOfStream();
  if (response->canceled()) {
    Status s = WatchCancelStatus(*response);
    Close();
    return s;
  }
  return Status::Ok();
}

}  // namespace cairn::client
