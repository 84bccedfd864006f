#include "api/info_services.h"

namespace cairn::api {

namespace {

void FillHeader(const NodeInfo::State& s, etcdserverpb::ResponseHeader* h) {
  h->set_cluster_id(s.cluster_id);
  h->set_member_id(s.member_id);
  h->set_raft_term(s.term);
}

}  // namespace

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::StatusRequest*,
                                                     etcdserverpb::StatusResponse* response) {
  NodeInfo::State s = node_->state();
  FillHeader(s, response->mutable_header());
  response->set_version(kServerVersion);
  response->set_dbsize(s.db_size);
  response->set_dbsizeinuse(s.db_size);
  response->set_leader(s.leader);
  response->set_raftindex(s.commit_index);
  response->set_raftterm(s.term);
  response->set_raftappliedindex(s.applied_index);
  response->set_islearner(s.is_learner);
  // etcd lists what is wrong with the member here (`endpoint status`).
  if (s.leader == 0) response->add_errors("etcdserver: no leader");
  if (kv_ != nullptr) {
    Result<kv::Alarms> alarms = kv_->store().RaisedAlarms();
    if (alarms.ok()) {
      for (const etcdserverpb::AlarmMember& a : *alarms)
        response->add_errors(AlarmText(a));
    }
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace cairn::api
