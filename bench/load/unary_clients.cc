#include "bench/load/unary_clients.h"

#include <optional>

#include "bench/load/keys.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::bench {
namespace {

using etcdserverpb::KV;

// One closed-loop client. Subclasses build and send one kind of request;
// the loop (claim, pace, send, record, repeat) is shared. Requests and
// responses are reused between calls: no allocation per request here.
class UnaryClient {
 public:
  UnaryClient(Run& run, int index, std::atomic<uint64_t>* next_key)
      : run_(run),
        stub_(KV::NewStub(run.ChannelFor(index))),
        keys_(run.options().key_space_size, run.options().sequential_keys, next_key,
              0x9e3779b97f4a7c15ull * (index + 1)) {}
  virtual ~UnaryClient() = default;

  void Start() {
    run_.ClientStarted();
    Next();
  }
  Tally& tally() { return tally_; }

 protected:
  // Sends one request on `context`; calls `done` with its status.
  virtual void Send(grpc::ClientContext* context, std::function<void(grpc::Status)> done) = 0;

  KV::Stub& stub() { return *stub_; }
  KeyPicker& keys() { return keys_; }
  std::string NewKey() const { return std::string(run_.options().key_size, '0'); }

 private:
  void Next() {
    if (!run_.Claim()) {
      run_.ClientFinished();
      return;
    }
    run_.pacer().Schedule([this] {
      context_.emplace();
      context_->set_deadline(run_.Deadline());
      sent_ = Clock::now();
      Send(&*context_, [this](grpc::Status status) { Completed(status); });
    });
  }

  void Completed(const grpc::Status& status) {
    if (status.ok()) {
      tally_.latency.Record(NanosSince(sent_));
      run_.CountOk();
    } else {
      tally_.RecordError(status);
      run_.CountFailed();
    }
    Next();
  }

  Run& run_;
  std::unique_ptr<KV::Stub> stub_;
  KeyPicker keys_;
  std::optional<grpc::ClientContext> context_;
  Clock::time_point sent_;
  Tally tally_;
};

class PutClient : public UnaryClient {
 public:
  PutClient(Run& run, int index, std::atomic<uint64_t>* next_key)
      : UnaryClient(run, index, next_key) {
    request_.set_key(NewKey());
    request_.set_value(std::string(run.options().val_size, 'v'));
  }

 protected:
  void Send(grpc::ClientContext* context, std::function<void(grpc::Status)> done) override {
    KeyPicker::Write(keys().Next(), *request_.mutable_key());
    stub().async()->Put(context, &request_, &response_, std::move(done));
  }

 private:
  etcdserverpb::PutRequest request_;
  etcdserverpb::PutResponse response_;
};

class RangeClient : public UnaryClient {
 public:
  RangeClient(Run& run, int index, std::atomic<uint64_t>* next_key)
      : UnaryClient(run, index, next_key) {
    request_.set_key(NewKey());
    request_.set_serializable(run.options().consistency == "s");
  }

 protected:
  void Send(grpc::ClientContext* context, std::function<void(grpc::Status)> done) override {
    KeyPicker::Write(keys().Next(), *request_.mutable_key());
    stub().async()->Range(context, &request_, &response_, std::move(done));
  }

 private:
  etcdserverpb::RangeRequest request_;
  etcdserverpb::RangeResponse response_;
};

// txn-put: a Txn whose success branch is one put. txn-mixed: with
// probability --read-ratio a Txn with one (linearizable) range, else txn-put;
// what etcd's benchmark sends for the same names.
class TxnClient : public UnaryClient {
 public:
  TxnClient(Run& run, int index, std::atomic<uint64_t>* next_key, double read_ratio)
      : UnaryClient(run, index, next_key), read_ratio_(read_ratio) {
    auto* put = write_.add_success()->mutable_request_put();
    put->set_key(NewKey());
    put->set_value(std::string(run.options().val_size, 'v'));
    read_.add_success()->mutable_request_range()->set_key(NewKey());
  }

 protected:
  void Send(grpc::ClientContext* context, std::function<void(grpc::Status)> done) override {
    bool read =
        read_ratio_ > 0 && std::uniform_real_distribution<>(0, 1)(keys().rng()) < read_ratio_;
    etcdserverpb::TxnRequest& request = read ? read_ : write_;
    std::string* key = read ? request.mutable_success(0)->mutable_request_range()->mutable_key()
                            : request.mutable_success(0)->mutable_request_put()->mutable_key();
    KeyPicker::Write(keys().Next(), *key);
    stub().async()->Txn(context, &request, &response_, std::move(done));
  }

 private:
  double read_ratio_;
  etcdserverpb::TxnRequest write_;
  etcdserverpb::TxnRequest read_;
  etcdserverpb::TxnResponse response_;
};

std::unique_ptr<UnaryClient> MakeClient(Run& run, int index, std::atomic<uint64_t>* next_key) {
  const std::string& w = run.options().workload;
  if (w == "put") return std::make_unique<PutClient>(run, index, next_key);
  if (w == "range") return std::make_unique<RangeClient>(run, index, next_key);
  if (w == "txn-put") return std::make_unique<TxnClient>(run, index, next_key, 0.0);
  return std::make_unique<TxnClient>(run, index, next_key, run.options().read_ratio);
}

}  // namespace

std::vector<Tally> RunUnaryWorkload(Run& run) {
  std::atomic<uint64_t> next_key{0};
  std::vector<std::unique_ptr<UnaryClient>> clients;
  for (int i = 0; i < run.options().clients; ++i)
    clients.push_back(MakeClient(run, i, &next_key));
  for (auto& c : clients)
    c->Start();
  // The caller stops the run; wait for the requests in flight, bounded by
  // their own deadline.
  bool finished = WaitForClients(run);
  std::vector<Tally> tallies;
  CollectTallies(clients, finished, &tallies);
  return tallies;
}

}  // namespace cairn::bench
