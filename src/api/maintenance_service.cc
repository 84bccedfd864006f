// etcd's Maintenance service beyond Status: hashes, alarms, defragment and
// moving the leader. Snapshot is in maintenance_snapshot.cc.
#include <algorithm>

#include "api/applied_reply.h"
#include "api/etcd_errors.h"
#include "api/info_services.h"
#include "api/kv_service.h"

namespace cairn::api {

namespace {

// Longest a MoveLeader waits when the client gave no deadline.
constexpr auto kMoveLeaderLimit = std::chrono::seconds(30);

grpc::ServerUnaryReactor* Unimplemented(grpc::CallbackServerContext* ctx) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
  return reactor;
}

}  // namespace

std::string AlarmText(const etcdserverpb::AlarmMember& alarm) {
  return "memberID:" + std::to_string(alarm.memberid()) +
         " alarm:" + etcdserverpb::AlarmType_Name(alarm.alarm()) + " ";
}

void MaintenanceService::FillKvHeader(etcdserverpb::ResponseHeader* header) const {
  KvBackend::Header h = kv_->header();
  header->set_cluster_id(h.cluster_id);
  header->set_member_id(h.member_id);
  header->set_raft_term(h.raft_term);
  header->set_revision(kv_->store().current_revision());
}

void MaintenanceService::RunJob(grpc::ServerUnaryReactor* reactor,
                                std::function<cairn::Status()> job) {
  bool started = jobs_.Run([reactor, job = std::move(job)] { reactor->Finish(ToGrpc(job())); });
  if (!started) reactor->Finish(ToGrpc(EtcdStatus(EtcdError::kStopped)));
}

grpc::ServerUnaryReactor* MaintenanceService::Hash(grpc::CallbackServerContext* ctx,
                                                   const etcdserverpb::HashRequest*,
                                                   etcdserverpb::HashResponse* response) {
  if (kv_ == nullptr) return Unimplemented(ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Reads the whole store: a job, not a gRPC thread.
  RunJob(reactor, [this, response]() -> cairn::Status {
    FillKvHeader(response->mutable_header());
    Result<uint32_t> h = kv_->store().Digest(0);
    if (!h.ok()) return h.status();
    response->set_hash(*h);
    return cairn::Status::Ok();
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::HashKV(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::HashKVRequest* request,
                                                     etcdserverpb::HashKVResponse* response) {
  if (kv_ == nullptr) return Unimplemented(ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  RunJob(reactor, [this, request, response]() -> cairn::Status {
    FillKvHeader(response->mutable_header());
    const int64_t compacted = kv_->store().compacted_revision();
    // Compacted and future revisions fail as a Range at them would.
    Result<uint32_t> h = kv_->store().Digest(request->revision());
    if (!h.ok()) return h.status();
    response->set_hash(*h);
    response->set_compact_revision(compacted);
    return cairn::Status::Ok();
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::AlarmRequest* request,
                                                    etcdserverpb::AlarmResponse* response) {
  if (kv_ == nullptr) return Unimplemented(ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (request->action() == etcdserverpb::AlarmRequest::GET) {
    // etcd lists through the log; a read barrier gives the same
    // linearizable answer without writing an entry.
    kv_->ReadBarrier([this, reactor, request, response](cairn::Status barrier) {
      if (!barrier.ok()) {
        reactor->Finish(ToGrpc(FromConsensus(barrier)));
        return;
      }
      Result<kv::Alarms> alarms = kv_->store().RaisedAlarms();
      if (!alarms.ok()) {
        reactor->Finish(ToGrpc(alarms.status()));
        return;
      }
      FillKvHeader(response->mutable_header());
      for (const etcdserverpb::AlarmMember& a : *alarms) {
        if (request->alarm() == etcdserverpb::NONE || a.alarm() == request->alarm()) {
          *response->add_alarms() = a;
        }
      }
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }
  cairnpb::RaftRequest write;
  *write.mutable_alarm() = *request;
  kv_->Write(write, [this, reactor, response](Result<kv::ApplyResult> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpc(FromConsensus(r.status())));
      return;
    }
    if (!r->status.ok()) {
      reactor->Finish(ToGrpc(r->status));
      return;
    }
    auto* applied = std::get_if<etcdserverpb::AlarmResponse>(&r->response);
    if (applied == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "applied entry has no response"));
      return;
    }
    *response = std::move(*applied);
    FillKvHeader(response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(
    grpc::CallbackServerContext* ctx, const etcdserverpb::DefragmentRequest*,
    etcdserverpb::DefragmentResponse* response) {
  if (kv_ == nullptr || maint_ == nullptr) return Unimplemented(ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  RunJob(reactor, [this, response]() -> cairn::Status {
    cairn::Status s = maint_->Defragment();
    FillKvHeader(response->mutable_header());
    return s;
  });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::MoveLeader(
    grpc::CallbackServerContext* ctx, const etcdserverpb::MoveLeaderRequest* request,
    etcdserverpb::MoveLeaderResponse* response) {
  if (kv_ == nullptr || maint_ == nullptr) return Unimplemented(ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Waits as long as the client does (etcd's rule), within a limit.
  const auto now_sys = std::chrono::system_clock::now();
  const auto left = std::min<std::chrono::system_clock::duration>(
      ctx->deadline() - now_sys,
      std::chrono::duration_cast<std::chrono::system_clock::duration>(kMoveLeaderLimit));
  const auto deadline = std::chrono::steady_clock::now() + left;
  const uint64_t target = request->targetid();
  RunJob(reactor, [this, response, target, deadline]() -> cairn::Status {
    cairn::Status s = maint_->MoveLeader(target, deadline);
    FillKvHeader(response->mutable_header());
    return s;
  });
  return reactor;
}

}  // namespace cairn::api
