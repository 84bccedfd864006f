#include "api/lease_service.h"

#include <memory>
#include <mutex>

#include "api/applied_reply.h"
#include "kv/errors.h"
#include "kv/validate.h"

namespace cairn::api {

namespace {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

// One keep-alive stream: each request is answered (by the leader) before
// the next is read, so a client flooding renewals is paced by its answers.
class KeepAliveReactor final
    : public grpc::ServerBidiReactor<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
 public:
  explicit KeepAliveReactor(LeaseBackend* backend) : backend_(backend) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side, or the call ended
      Finish(grpc::Status::OK);
      return;
    }
    cairnpb::RaftRequest query;
    *query.mutable_lease_keep_alive() = request_;
    backend_->LeaderQuery(query, [this](Result<kv::ApplyResult> r) { Answer(std::move(r)); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);  // the call is broken: nothing more goes out
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  // While a query is out no read or write is, and Finish has not been
  // called: the reactor cannot be done, so `this` is safe here.
  void Answer(Result<kv::ApplyResult> r) {
    if (!r.ok() || !r->status.ok()) {
      Finish(ToGrpc(!r.ok() ? FromConsensus(r.status()) : r->status));
      return;
    }
    auto* answer = std::get_if<LeaseKeepAliveResponse>(&r->response);
    if (answer == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "keep-alive got no lease answer"));
      return;
    }
    response_ = std::move(*answer);
    FillHeader(*backend_, response_.mutable_header());
    response_.mutable_header()->set_revision(backend_->store().current_revision());
    StartWrite(&response_);
  }

  LeaseBackend* const backend_;
  LeaseKeepAliveRequest request_;
  LeaseKeepAliveResponse response_;
};

}  // namespace

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                   const etcdserverpb::LeaseGrantRequest* request,
                                                   etcdserverpb::LeaseGrantResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (request->ttl() > kv::kMaxLeaseTtl) {
    reactor->Finish(ToGrpc(kv::KvStatus(kv::KvError::kLeaseTtlTooLarge)));
    return reactor;
  }
  // The log gets the final ID and TTL, so that every member applies the
  // same lease whatever its own settings.
  cairnpb::RaftRequest r;
  r.mutable_lease_grant()->set_id(request->id() != 0 ? request->id() : backend_->NewLeaseId());
  r.mutable_lease_grant()->set_ttl(std::max(request->ttl(), backend_->min_lease_ttl()));
  backend_->Write(r, [this, reactor, response](Result<kv::ApplyResult> applied) {
    FinishApplied(*backend_, reactor, response, std::move(applied));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::LeaseRevokeRequest* request,
                                                    etcdserverpb::LeaseRevokeResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  cairnpb::RaftRequest r;
  *r.mutable_lease_revoke() = *request;
  backend_->Write(r, [this, reactor, response](Result<kv::ApplyResult> applied) {
    FinishApplied(*backend_, reactor, response, std::move(applied));
  });
  return reactor;
}

grpc::ServerBidiReactor<LeaseKeepAliveRequest, LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* /*ctx*/) {
  return new KeepAliveReactor(backend_);
}

grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(
    grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseTimeToLiveRequest* request,
    etcdserverpb::LeaseTimeToLiveResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  cairnpb::RaftRequest query;
  *query.mutable_lease_time_to_live() = *request;
  backend_->LeaderQuery(query, [this, reactor, response](Result<kv::ApplyResult> answer) {
    if (answer.ok()) {
      if (auto* r = std::get_if<etcdserverpb::LeaseTimeToLiveResponse>(&answer->response)) {
        r->mutable_header()->set_revision(backend_->store().current_revision());
      }
    }
    FinishApplied(*backend_, reactor, response, std::move(answer));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(
    grpc::CallbackServerContext* ctx, const etcdserverpb::LeaseLeasesRequest* /*request*/,
    etcdserverpb::LeaseLeasesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  backend_->ReadBarrier([this, reactor, response](Status barrier) {
    if (!barrier.ok()) {
      reactor->Finish(ToGrpc(FromConsensus(barrier)));
      return;
    }
    Result<std::vector<kv::MvccStore::Lease>> leases = backend_->store().Leases();
    if (!leases.ok()) {
      reactor->Finish(ToGrpc(leases.status()));
      return;
    }
    for (const kv::MvccStore::Lease& l : *leases)
      response->add_leases()->set_id(l.id);
    FillHeader(*backend_, response->mutable_header());
    response->mutable_header()->set_revision(backend_->store().current_revision());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace cairn::api
