#include "api/election_service.h"

#include <optional>

#include "api/acquire_call.h"
#include "api/applied_reply.h"
#include "api/internal_watch.h"

namespace cairn::api {

namespace {

const grpc::Status kNotLeader(grpc::StatusCode::UNKNOWN, "election: not leader");
const grpc::Status kNoLeader(grpc::StatusCode::UNKNOWN, "election: no leader");

// The oldest key under the election's prefix, read from the local store.
Result<etcdserverpb::RangeResponse> ReadLeader(const KvBackend& backend, const std::string& name) {
  etcdserverpb::RangeRequest r;
  r.set_key(name + "/");
  r.set_range_end(PrefixEnd(name + "/"));
  r.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  r.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  r.set_limit(1);
  return backend.store().Range(r);
}

// A txn on the leader key that holds only while it is the same key (same
// create revision): Proclaim and Resign act only for the current holder.
cairnpb::RaftRequest IfStillLeader(const v3electionpb::LeaderKey& leader) {
  cairnpb::RaftRequest r;
  etcdserverpb::Compare* c = r.mutable_txn()->add_compare();
  c->set_key(leader.key());
  c->set_target(etcdserverpb::Compare::CREATE);
  c->set_result(etcdserverpb::Compare::EQUAL);
  c->set_create_revision(leader.rev());
  return r;
}

// Observe: the current leader at once (when there is one), then the leader
// again each time it changes (another key, or a new proclamation). Only the
// newest state is kept while a write is in flight.
class ObserveCall final : public grpc::ServerWriteReactor<v3electionpb::LeaderResponse> {
 public:
  ObserveCall(KvBackend* backend, WatchHub* hub, std::string name)
      : backend_(backend), hub_(hub), name_(std::move(name)) {
    backend_->ReadBarrier([this](Status barrier) {
      Start(barrier);
      // The call may have ended meanwhile; OnDone left the deleting to us.
      bool done;
      {
        std::lock_guard<std::mutex> lock(mu_);
        starting_ = false;
        done = done_;
      }
      if (done) delete this;
    });
  }

  void OnWriteDone(bool ok) override {
    std::optional<v3electionpb::LeaderResponse> next;
    std::optional<grpc::Status> finish;
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (!ok && !ended_) {  // the call is broken
        ended_ = true;
        end_status_ = grpc::Status::OK;
      }
      if (ended_) {
        finish = end_status_;  // End left the finishing to us
      } else if (pending_) {
        next = std::move(pending_);
        pending_.reset();
        writing_ = true;
      }
    }
    if (finish) return Finish(*finish);
    if (next) {
      out_ = std::move(*next);
      StartWrite(&out_);
    }
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    std::shared_ptr<InternalWatch> watch;
    bool starting;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      starting = starting_;
      watch = std::move(watch_);
    }
    if (watch) watch->Stop();  // no callback of it runs after this
    if (!starting) delete this;
  }

 private:
  void Start(const Status& barrier) {
    if (!barrier.ok()) return End(ToGrpc(FromConsensus(barrier)));
    Result<etcdserverpb::RangeResponse> r = ReadLeader(*backend_, name_);
    if (!r.ok()) return End(ToGrpc(r.status()));
    etcdserverpb::WatchCreateRequest req;
    req.set_key(name_ + "/");
    req.set_range_end(PrefixEnd(name_ + "/"));
    req.set_start_revision(r->header().revision() + 1);
    Offer(*r);
    std::shared_ptr<InternalWatch> watch =
        InternalWatch::Start(hub_, req, [this](const etcdserverpb::WatchResponse& resp) {
          if (resp.canceled()) {
            End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "observe: watch ended"));
            return false;
          }
          if (resp.events_size() == 0) return true;
          Result<etcdserverpb::RangeResponse> now = ReadLeader(*backend_, name_);
          if (!now.ok()) {
            End(ToGrpc(now.status()));
            return false;
          }
          Offer(*now);
          return true;
        });
    bool done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done = done_;
      if (!done) watch_ = std::move(watch);
    }
    if (done) watch->Stop();  // OnDone already ran: it could not stop this one
  }

  // Sends the leader in `r` if it differs from the last one sent.
  void Offer(const etcdserverpb::RangeResponse& r) {
    if (r.kvs_size() == 0) return;  // no leader: wait for one
    const mvccpb::KeyValue& kv = r.kvs(0);
    v3electionpb::LeaderResponse resp;
    *resp.mutable_header() = r.header();
    FillHeader(*backend_, resp.mutable_header());
    *resp.mutable_kv() = kv;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ended_ || (kv.key() == last_key_ && kv.mod_revision() == last_mod_)) return;
      last_key_ = kv.key();
      last_mod_ = kv.mod_revision();
      if (writing_) {
        pending_ = std::move(resp);
        return;
      }
      writing_ = true;
    }
    out_ = std::move(resp);
    StartWrite(&out_);
  }

  // Finish now, or (a write being in flight) from OnWriteDone: never a
  // write after Finish.
  void End(const grpc::Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ended_) return;
      ended_ = true;
      end_status_ = status;
      if (writing_) return;
    }
    Finish(status);
  }

  KvBackend* const backend_;
  WatchHub* const hub_;
  const std::string name_;
  std::mutex mu_;
  bool starting_ = true;  // the first read is under way: OnDone must not delete
  bool done_ = false;
  bool ended_ = false;
  grpc::Status end_status_;
  bool writing_ = false;
  std::optional<v3electionpb::LeaderResponse> pending_;
  std::string last_key_;
  int64_t last_mod_ = 0;
  v3electionpb::LeaderResponse out_;
  std::shared_ptr<InternalWatch> watch_;
};

}  // namespace

grpc::ServerUnaryReactor* ElectionService::Campaign(grpc::CallbackServerContext* /*ctx*/,
                                                    const v3electionpb::CampaignRequest* request,
                                                    v3electionpb::CampaignResponse* response) {
  AcquireRequest req;
  req.prefix = request->name() + "/";
  req.lease = request->lease();
  req.value = request->value();
  req.update_value = true;
  return new AcquireCall(backend_, hub_, std::move(req),
                         [backend = backend_, response, name = request->name(),
                          lease = request->lease()](const Acquired& a) {
                           *response->mutable_header() = a.header;
                           FillHeader(*backend, response->mutable_header());
                           v3electionpb::LeaderKey* leader = response->mutable_leader();
                           leader->set_name(name);
                           leader->set_key(a.key);
                           leader->set_rev(a.revision);
                           leader->set_lease(lease);
                         });
}

grpc::ServerUnaryReactor* ElectionService::Proclaim(grpc::CallbackServerContext* ctx,
                                                    const v3electionpb::ProclaimRequest* request,
                                                    v3electionpb::ProclaimResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  cairnpb::RaftRequest r = IfStillLeader(request->leader());
  etcdserverpb::PutRequest* put = r.mutable_txn()->add_success()->mutable_request_put();
  put->set_key(request->leader().key());
  put->set_value(request->value());
  put->set_lease(request->leader().lease());
  backend_->Write(r, [this, reactor, response](Result<kv::ApplyResult> applied) {
    const Status s = !applied.ok() ? FromConsensus(applied.status()) : applied->status;
    if (!s.ok()) return reactor->Finish(ToGrpc(s));
    const auto* txn = std::get_if<etcdserverpb::TxnResponse>(&applied->response);
    if (txn == nullptr || !txn->succeeded()) return reactor->Finish(kNotLeader);
    *response->mutable_header() = txn->header();
    FillHeader(*backend_, response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ElectionService::Leader(grpc::CallbackServerContext* ctx,
                                                  const v3electionpb::LeaderRequest* request,
                                                  v3electionpb::LeaderResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  backend_->ReadBarrier([this, reactor, request, response](Status barrier) {
    if (!barrier.ok()) return reactor->Finish(ToGrpc(FromConsensus(barrier)));
    Result<etcdserverpb::RangeResponse> r = ReadLeader(*backend_, request->name());
    if (!r.ok()) return reactor->Finish(ToGrpc(r.status()));
    if (r->kvs_size() == 0) return reactor->Finish(kNoLeader);
    *response->mutable_header() = r->header();
    FillHeader(*backend_, response->mutable_header());
    *response->mutable_kv() = r->kvs(0);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* ElectionService::Observe(
    grpc::CallbackServerContext* /*ctx*/, const v3electionpb::LeaderRequest* request) {
  return new ObserveCall(backend_, hub_, request->name());
}

grpc::ServerUnaryReactor* ElectionService::Resign(grpc::CallbackServerContext* ctx,
                                                  const v3electionpb::ResignRequest* request,
                                                  v3electionpb::ResignResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  cairnpb::RaftRequest r = IfStillLeader(request->leader());
  r.mutable_txn()->add_success()->mutable_request_delete_range()->set_key(request->leader().key());
  backend_->Write(r, [this, reactor, response](Result<kv::ApplyResult> applied) {
    const Status s = !applied.ok() ? FromConsensus(applied.status()) : applied->status;
    if (!s.ok()) return reactor->Finish(ToGrpc(s));
    if (const auto* txn = std::get_if<etcdserverpb::TxnResponse>(&applied->response)) {
      *response->mutable_header() = txn->header();
    }
    FillHeader(*backend_, response->mutable_header());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace cairn::api
