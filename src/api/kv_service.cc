#include "api/kv_service.h"

#include "api/applied_reply.h"
#include "api/etcd_errors.h"
#include "kv/validate.h"

namespace cairn::api {

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), s.message());
}

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const etcdserverpb::RangeRequest* request,
                                           etcdserverpb::RangeResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto serve = [this, reactor, request, response](Status barrier) {
    if (!barrier.ok()) {
      reactor->Finish(ToGrpc(FromConsensus(barrier)));
      return;
    }
    Result<etcdserverpb::RangeResponse> r = backend_->store().Range(*request);
    if (!r.ok()) {
      reactor->Finish(ToGrpc(r.status()));
      return;
    }
    *response = std::move(*r);
    FillHeader(*backend_, response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  };
  if (Status s = kv::ValidateRange(*request); !s.ok()) {
    reactor->Finish(ToGrpc(s));
  } else if (request->serializable()) {
    serve(Status::Ok());
  } else {
    backend_->ReadBarrier(std::move(serve));
  }
  return reactor;
}

template <typename Response>
grpc::ServerUnaryReactor* KvService::Write(grpc::CallbackServerContext* ctx,
                                           cairnpb::RaftRequest request, Response* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (request.ByteSizeLong() > backend_->max_request_bytes()) {
    reactor->Finish(ToGrpc(EtcdStatus(EtcdError::kRequestTooLarge)));
    return reactor;
  }
  if (Status s = kv::ValidateRaftRequest(request, backend_->max_txn_ops()); !s.ok()) {
    reactor->Finish(ToGrpc(s));
    return reactor;
  }
  backend_->Write(request, [this, reactor, response](Result<kv::ApplyResult> r) {
    FinishApplied(*backend_, reactor, response, std::move(r));
  });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::PutRequest* request,
                                         etcdserverpb::PutResponse* response) {
  cairnpb::RaftRequest r;
  *r.mutable_put() = *request;
  return Write(ctx, std::move(r), response);
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const etcdserverpb::DeleteRangeRequest* request,
                                                 etcdserverpb::DeleteRangeResponse* response) {
  cairnpb::RaftRequest r;
  *r.mutable_delete_range() = *request;
  return Write(ctx, std::move(r), response);
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::TxnRequest* request,
                                         etcdserverpb::TxnResponse* response) {
  cairnpb::RaftRequest r;
  *r.mutable_txn() = *request;
  return Write(ctx, std::move(r), response);
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const etcdserverpb::CompactionRequest* request,
                                             etcdserverpb::CompactionResponse* response) {
  cairnpb::RaftRequest r;
  *r.mutable_compaction() = *request;
  return Write(ctx, std::move(r), response);
}

}  // namespace cairn::api
