#include "api/lock_service.h"

#include "api/acquire_call.h"
#include "api/applied_reply.h"

namespace cairn::api {

grpc::ServerUnaryReactor* LockService::Lock(grpc::CallbackServerContext* /*ctx*/,
                                            const v3lockpb::LockRequest* request,
                                            v3lockpb::LockResponse* response) {
  AcquireRequest req;
  req.prefix = request->name() + "/";
  req.lease = request->lease();
  return new AcquireCall(backend_, hub_, std::move(req),
                         [backend = backend_, response](const Acquired& a) {
                           *response->mutable_header() = a.header;
                           FillHeader(*backend, response->mutable_header());
                           response->set_key(a.key);
                         });
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
