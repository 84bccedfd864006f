#pragma once

#include "api/kv_backend.h"
#include "api/watch_hub.h"
#include "etcd/v3electionpb/v3election.grpc.pb.h"

namespace cairn::api {

// etcd's v3election service. A candidate's key is "<name>/<lease hex>";
// the oldest key under "<name>/" leads, and its value is the proclamation.
// Errors are etcd's (plain errors there, so gRPC code UNKNOWN): "election:
// not leader" for a proclaim by a key that no longer leads, "election: no
// leader" for Leader on an election without candidates.
class ElectionService final : public v3electionpb::Election::CallbackService {
 public:
  ElectionService(KvBackend* backend, WatchHub* hub) : backend_(backend), hub_(hub) {}

  grpc::ServerUnaryReactor* Campaign(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::CampaignRequest* request,
                                     v3electionpb::CampaignResponse* response) override;
  grpc::ServerUnaryReactor* Proclaim(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::ProclaimRequest* request,
                                     v3electionpb::ProclaimResponse* response) override;
  grpc::ServerUnaryReactor* Leader(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::LeaderRequest* request,
                                   v3electionpb::LeaderResponse* response) override;
  grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* Observe(
      grpc::CallbackServerContext* ctx, const v3electionpb::LeaderRequest* request) override;
  grpc::ServerUnaryReactor* Resign(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::ResignRequest* request,
                                   v3electionpb::ResignResponse* response) override;

 private:
  KvBackend* backend_;
  WatchHub* hub_;
};

}  // namespace cairn::api
