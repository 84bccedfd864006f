#pragma once

#include <grpcpp/grpcpp.h>

#include <variant>

#include "api/etcd_errors.h"
#include "api/kv_backend.h"
#include "base/status.h"
#include "kv/mvcc_store.h"

namespace cairn::api {

grpc::Status ToGrpc(const Status& s);

// The parts of a response header only the member knows (cluster, member,
// term); the revision comes with the response.
inline void FillHeader(const KvBackend& backend, etcdserverpb::ResponseHeader* header) {
  KvBackend::Header h = backend.header();
  header->set_cluster_id(h.cluster_id);
  header->set_member_id(h.member_id);
  header->set_raft_term(h.raft_term);
}

// Finishes a unary call with what consensus answered for its request: the
// refusal (in etcd's words), the request's own error, or the applied
// response of type Response.
template <typename Response>
void FinishApplied(const KvBackend& backend, grpc::ServerUnaryReactor* reactor, Response* response,
                   Result<kv::ApplyResult> r) {
  if (!r.ok()) {
    reactor->Finish(ToGrpc(FromConsensus(r.status())));
    return;
  }
  if (!r->status.ok()) {
    reactor->Finish(ToGrpc(r->status));
    return;
  }
  Response* applied = std::get_if<Response>(&r->response);
  if (applied == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "applied entry has no response"));
    return;
  }
  *response = std::move(*applied);
  FillHeader(backend, response->mutable_header());
  reactor->Finish(grpc::Status::OK);
}

}  // namespace cairn::api
