// cairn-noop-server: answers every etcd v3 request at once, with no
// consensus and no disk. Driven by the same cairn-bench, it shows the
// ceiling the client and gRPC set on this machine (bench/compare.py).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>

#include "bench/noop/watch_fanout.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::noop {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

constexpr uint64_t kClusterId = 0xc0ffee;
constexpr uint64_t kMemberId = 1;

// The little state a no-op server has: a revision counter and lease ids.
struct State {
  std::atomic<int64_t> revision{1};
  std::atomic<int64_t> next_lease{1};
  WatchFanout fanout;

  void Fill(etcdserverpb::ResponseHeader* header, int64_t rev = 0) {
    header->set_cluster_id(kClusterId);
    header->set_member_id(kMemberId);
    header->set_revision(rev != 0 ? rev : revision.load(std::memory_order_relaxed));
    header->set_raft_term(1);
  }
  int64_t Put(const std::string& key, const std::string& value) {
    int64_t rev = revision.fetch_add(1, std::memory_order_relaxed) + 1;
    fanout.Put(key, value, rev);
    return rev;
  }
};

ServerUnaryReactor* Done(CallbackServerContext* ctx) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

class Kv final : public etcdserverpb::KV::CallbackService {
 public:
  explicit Kv(State* state) : s_(state) {}
  ServerUnaryReactor* Range(CallbackServerContext* ctx, const etcdserverpb::RangeRequest*,
                            etcdserverpb::RangeResponse* response) override {
    s_->Fill(response->mutable_header());
    return Done(ctx);
  }
  ServerUnaryReactor* Put(CallbackServerContext* ctx, const etcdserverpb::PutRequest* request,
                          etcdserverpb::PutResponse* response) override {
    s_->Fill(response->mutable_header(), s_->Put(request->key(), request->value()));
    return Done(ctx);
  }
  ServerUnaryReactor* DeleteRange(CallbackServerContext* ctx,
                                  const etcdserverpb::DeleteRangeRequest*,
                                  etcdserverpb::DeleteRangeResponse* response) override {
    s_->Fill(response->mutable_header());
    return Done(ctx);
  }
  ServerUnaryReactor* Txn(CallbackServerContext* ctx, const etcdserverpb::TxnRequest* request,
                          etcdserverpb::TxnResponse* response) override {
    int64_t rev = 0;
    for (const auto& op : request->success()) {
      auto* out = response->add_responses();
      if (op.has_request_put()) {
        rev = s_->Put(op.request_put().key(), op.request_put().value());
        s_->Fill(out->mutable_response_put()->mutable_header(), rev);
      } else if (op.has_request_delete_range()) {
        s_->Fill(out->mutable_response_delete_range()->mutable_header());
      } else {
        s_->Fill(out->mutable_response_range()->mutable_header());
      }
    }
    response->set_succeeded(true);
    s_->Fill(response->mutable_header(), rev);
    return Done(ctx);
  }
  ServerUnaryReactor* Compact(CallbackServerContext* ctx, const etcdserverpb::CompactionRequest*,
                              etcdserverpb::CompactionResponse* response) override {
    s_->Fill(response->mutable_header());
    return Done(ctx);
  }

 private:
  State* s_;
};

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(State* state) : s_(state) {}
  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      CallbackServerContext*) override {
    etcdserverpb::ResponseHeader header;
    s_->Fill(&header);
    return new WatchStream(&s_->fanout, header);
  }

 private:
  State* s_;
};

// Answers each keep-alive with the lease's id and a fixed TTL.
class KeepAliveStream final : public grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                                             etcdserverpb::LeaseKeepAliveResponse> {
 public:
  explicit KeepAliveStream(State* state) : s_(state) { StartRead(&request_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    s_->Fill(response_.mutable_header());
    response_.set_id(request_.id());
    response_.set_ttl(60);
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  State* s_;
  etcdserverpb::LeaseKeepAliveRequest request_;
  etcdserverpb::LeaseKeepAliveResponse response_;
};

class Lease final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit Lease(State* state) : s_(state) {}
  ServerUnaryReactor* LeaseGrant(CallbackServerContext* ctx,
                                 const etcdserverpb::LeaseGrantRequest* request,
                                 etcdserverpb::LeaseGrantResponse* response) override {
    s_->Fill(response->mutable_header());
    response->set_id(request->id() != 0 ? request->id() : s_->next_lease++);
    response->set_ttl(request->ttl());
    return Done(ctx);
  }
  ServerUnaryReactor* LeaseRevoke(CallbackServerContext* ctx,
                                  const etcdserverpb::LeaseRevokeRequest*,
                                  etcdserverpb::LeaseRevokeResponse* response) override {
    s_->Fill(response->mutable_header());
    return Done(ctx);
  }
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(CallbackServerContext*) override {
    return new KeepAliveStream(s_);
  }

 private:
  State* s_;
};

// Enough of Maintenance for `etcdctl endpoint status` (the bench finds
// the leader with it): this server is always its own leader.
class Maintenance final : public etcdserverpb::Maintenance::CallbackService {
 public:
  explicit Maintenance(State* state) : s_(state) {}
  ServerUnaryReactor* Status(CallbackServerContext* ctx, const etcdserverpb::StatusRequest*,
                             etcdserverpb::StatusResponse* response) override {
    s_->Fill(response->mutable_header());
    response->set_version("3.4.0-cairn-noop");
    response->set_leader(kMemberId);
    response->set_raftterm(1);
    return Done(ctx);
  }

 private:
  State* s_;
};

int Main(int argc, char** argv) {
  std::string listen = "127.0.0.1:2379";
  CLI::App app{"cairn-noop-server: answers every etcd v3 request at once (a benchmark ceiling)"};
  app.add_option("--listen", listen, "host:port to serve on");
  CLI11_PARSE(app, argc, argv);

  // SIGINT and SIGTERM end the server; wait for them on a thread of our own.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  State state;
  Kv kv(&state);
  WatchService watch(&state);
  Lease lease(&state);
  Maintenance maintenance(&state);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterService(&kv);
  builder.RegisterService(&watch);
  builder.RegisterService(&lease);
  builder.RegisterService(&maintenance);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "cairn-noop-server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "cairn-noop-server: serving on %s\n", listen.c_str());
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace cairn::noop

int main(int argc, char** argv) {
  return cairn::noop::Main(argc, argv);
}
