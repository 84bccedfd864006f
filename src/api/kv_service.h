#pragma once

#include "api/kv_backend.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// etcd's KV service (Range, Put, DeleteRange, Txn, Compact) on gRPC's
// callback API: no thread waits while a write goes through consensus; the
// reply is sent from the thread that applied it.
class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  explicit KvService(KvBackend* backend) : backend_(backend) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::PutRequest* request,
                                etcdserverpb::PutResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::DeleteRangeRequest* request,
                                        etcdserverpb::DeleteRangeResponse* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::TxnRequest* request,
                                etcdserverpb::TxnResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* request,
                                    etcdserverpb::CompactionResponse* response) override;

 private:
  // Proposes `request` and finishes `reactor` with the applied response,
  // which `take` moves into the RPC's response.
  template <typename Response>
  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, cairnpb::RaftRequest request,
                                  Response* response);

  KvBackend* backend_;
};

}  // namespace cairn::api
