#include "api/lock_service.h"

#include "api/acquire.h"
#include "api/applied_reply.h"

namespace cairn::api {

namespace {

// A Lock call that may wait a long time: a client giving up cancels the
// acquisition, which deletes the key it queued.
class LockCall final : public grpc::ServerUnaryReactor {
 public:
  LockCall(KvBackend* backend, WatchHub* hub, const v3lockpb::LockRequest& request,
           v3lockpb::LockResponse* response) {
    AcquireRequest req;
    req.prefix = request.name() + "/";
    req.lease = request.lease();
    // Set before Run: once the acquisition finishes the call, `this` may go.
    acquisition_ = Acquisition::Make(backend, hub, std::move(req),
                                     [this, backend, response](Result<Acquired> r) {
                                       if (!r.ok()) {
                                         Finish(ToGrpc(r.status()));
                                         return;
                                       }
                                       *response->mutable_header() = r->header;
                                       FillHeader(*backend, response->mutable_header());
                                       response->set_key(r->key);
                                       Finish(grpc::Status::OK);
                                     });
    std::shared_ptr<Acquisition> a = acquisition_;
    a->Run();
  }

  void OnCancel() override { acquisition_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<Acquisition> acquisition_;
};

}  // namespace

grpc::ServerUnaryReactor* LockService::Lock(grpc::CallbackServerContext* /*ctx*/,
                                            const v3lockpb::LockRequest* request,
                                            v3lockpb::LockResponse* response) {
  return new LockCall(backend_, hub_, *request, response);
}

grpc::ServerUnaryReactor* LockService::Unlock(grpc::CallbackServerContext* ctx,
                                              const v3lockpb::UnlockRequest* request,
                                              v3lockpb::UnlockResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  cairnpb::RaftRequest r;
  r.mutable_delete_range()->set_key(request->key());
  backend_->Write(r, [this, reactor, response](Result<kv::ApplyResult> applied) {
    const Status s = !applied.ok() ? FromConsensus(applied.status()) : applied->status;
    if (!s.ok()) {
      reactor->Finish(ToGrpc(s));
      return;
    }
    if (auto* d = std::get_if<etcdserverpb::DeleteRangeResponse>(&applied->response)) {
      *response->mutable_header() = d->header();
    }
    FillHeader(*backend_, response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace cairn::api
