#include "bench/load/streams.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::bench {
namespace {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

// One client: a lease and its keep-alive stream, one keep-alive in flight.
// The next one starts when both the write and the read of the last are
// done (gRPC allows one of each outstanding).
class KeepAliveClient
    : public grpc::ClientBidiReactor<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
 public:
  KeepAliveClient(Run& run, int index) : run_(run) {
    stub_ = etcdserverpb::Lease::NewStub(run.ChannelFor(index));
  }

  // Grants the lease (blocking); false, with the error tallied, on failure.
  bool Grant() {
    grpc::ClientContext context;
    context.set_deadline(run_.Deadline());
    etcdserverpb::LeaseGrantRequest request;
    request.set_ttl(run_.options().lease_ttl);
    etcdserverpb::LeaseGrantResponse response;
    grpc::Status status = stub_->LeaseGrant(&context, request, &response);
    if (!status.ok()) {
      tally_.RecordError(status);
      run_.CountFailed();
      return false;
    }
    request_.set_id(response.id());
    return true;
  }

  void Start() {
    run_.ClientStarted();
    stub_->async()->LeaseKeepAlive(&context_, this);
    if (!Round()) {
      finishing_ = true;
      context_.TryCancel();
    }
    StartCall();
  }
  Tally& tally() { return tally_; }

  void OnWriteDone(bool ok) override {
    if (!ok) return;
    StepDone();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (response_.ttl() > 0) {
      tally_.latency.Record(NanosSince(sent_));
      run_.CountOk();
    } else {
      tally_.RecordError(grpc::Status(grpc::StatusCode::NOT_FOUND, "lease expired or revoked"));
      run_.CountFailed();
    }
    StepDone();
  }
  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && !(finishing_ && status.error_code() == grpc::StatusCode::CANCELLED)) {
      tally_.RecordError(status);
      run_.CountFailed();
    }
    run_.ClientFinished();
  }

 private:
  // Starts one keep-alive round; false when the budget is spent.
  bool Round() {
    if (!run_.Claim()) return false;
    pending_ = 2;
    sent_ = Clock::now();
    StartRead(&response_);
    StartWrite(&request_);
    return true;
  }
  void StepDone() {
    if (pending_.fetch_sub(1) != 1) return;
    run_.pacer().Schedule([this] {
      if (!Round()) {
        finishing_ = true;
        context_.TryCancel();
      }
    });
  }

  Run& run_;
  std::unique_ptr<etcdserverpb::Lease::Stub> stub_;
  grpc::ClientContext context_;
  LeaseKeepAliveRequest request_;
  LeaseKeepAliveResponse response_;
  Clock::time_point sent_;
  std::atomic<int> pending_{0};
  std::atomic<bool> finishing_{false};
  Tally tally_;
};

}  // namespace

std::vector<Tally> RunLeaseKeepAlive(Run& run) {
  std::vector<std::unique_ptr<KeepAliveClient>> clients;
  std::vector<Tally> tallies;
  for (int i = 0; i < run.options().clients; ++i) {
    auto client = std::make_unique<KeepAliveClient>(run, i);
    if (client->Grant()) {
      clients.push_back(std::move(client));
    } else {
      tallies.push_back(client->tally());
    }
  }
  for (auto& c : clients)
    c->Start();
  CollectTallies(clients, WaitForClients(run), &tallies);
  return tallies;
}

}  // namespace cairn::bench
