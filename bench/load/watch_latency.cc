#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "bench/load/streams.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::bench {
namespace {

constexpr const char* kKey = "cairn-bench/watch-latency";
constexpr int kNumberDigits = 20;

// When each put started, by its number, in nanoseconds since the run began.
class SendTimes {
 public:
  SendTimes(size_t n, Clock::time_point epoch) : times_(n), epoch_(epoch) {}
  void Sent(uint64_t n) {
    if (n < times_.size()) times_[n].store(NanosSince(epoch_) + 1, std::memory_order_release);
  }
  // Nanoseconds since put n started, or nothing for a number never sent.
  std::optional<int64_t> Since(uint64_t n) const {
    if (n >= times_.size()) return std::nullopt;
    int64_t t = times_[n].load(std::memory_order_acquire);
    if (t == 0) return std::nullopt;
    return NanosSince(epoch_) + 1 - t;
  }

 private:
  std::vector<std::atomic<int64_t>> times_;
  Clock::time_point epoch_;
};

class Watcher
    : public grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
 public:
  Watcher(Run& run, int index, const SendTimes& times) : run_(run), times_(times) {
    stub_ = etcdserverpb::Watch::NewStub(run.ChannelFor(index));
    create_.mutable_create_request()->set_key(kKey);
    stub_->async()->Watch(&context_, this);
    StartWrite(&create_);
    StartRead(&response_);
    StartCall();
  }

  // Waits for the watch to be created (or the stream to fail).
  bool WaitCreated(Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return created_ || done_; }) && created_;
  }
  void Close() {
    context_.TryCancel();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  uint64_t events() const { return events_.load(std::memory_order_relaxed); }
  Tally& tally() { return tally_; }

  void OnWriteDone(bool) override {}
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    if (response_.created()) {
      std::lock_guard lock(mu_);
      created_ = true;
      cv_.notify_all();
    }
    for (const auto& event : response_.events()) {
      const std::string& value = event.kv().value();
      uint64_t n = std::strtoull(value.substr(0, kNumberDigits).c_str(), nullptr, 10);
      if (auto latency = times_.Since(n)) {
        tally_.latency.Record(*latency);
        run_.CountOk();
      }
      events_.fetch_add(1, std::memory_order_relaxed);
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      tally_.RecordError(status);
      run_.CountFailed();
    }
    done_ = true;
    cv_.notify_all();
  }

 private:
  Run& run_;
  const SendTimes& times_;
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  grpc::ClientContext context_;
  etcdserverpb::WatchRequest create_;
  etcdserverpb::WatchResponse response_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool created_ = false;
  bool done_ = false;
  std::atomic<uint64_t> events_{0};
  Tally tally_;
};

// Puts put number n into the value, paced by the run. --clients putters
// share the numbering (and the pace), so that a slow put does not hold the
// rate down.
class Putter {
 public:
  Putter(Run& run, SendTimes& times, int index, std::atomic<uint64_t>* next)
      : run_(run), times_(times), next_(next) {
    stub_ = etcdserverpb::KV::NewStub(run.ChannelFor(index));
    request_.set_key(kKey);
    request_.set_value(std::string(run.options().val_size, 'v'));
  }
  void Start() {
    run_.ClientStarted();
    Next();
  }
  uint64_t ok() const { return ok_.load(); }
  Tally& tally() { return tally_; }

 private:
  void Next() {
    if (!run_.Claim()) {
      run_.ClientFinished();
      return;
    }
    run_.pacer().Schedule([this] {
      const uint64_t n = next_->fetch_add(1);
      char number[kNumberDigits + 1];
      std::snprintf(number, sizeof number, "%0*llu", kNumberDigits,
                    static_cast<unsigned long long>(n));
      request_.mutable_value()->replace(0, kNumberDigits, number);
      context_.emplace();
      context_->set_deadline(run_.Deadline());
      times_.Sent(n);
      stub_->async()->Put(&*context_, &request_, &response_, [this](grpc::Status status) {
        if (status.ok()) {
          ok_++;
        } else {
          tally_.RecordError(status);
          run_.CountFailed();
        }
        Next();
      });
    });
  }

  Run& run_;
  SendTimes& times_;
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  etcdserverpb::PutRequest request_;
  etcdserverpb::PutResponse response_;
  std::optional<grpc::ClientContext> context_;
  std::atomic<uint64_t>* next_;
  std::atomic<uint64_t> ok_{0};
  Tally tally_;
};

}  // namespace

std::vector<Tally> RunWatchLatency(Run& run) {
  SendTimes times(run.options().total, Clock::now());
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < run.options().watchers; ++i)
    watchers.push_back(std::make_unique<Watcher>(run, i, times));
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (auto& w : watchers) {
    if (!w->WaitCreated(deadline)) break;
  }
  std::atomic<uint64_t> next{0};
  std::vector<std::unique_ptr<Putter>> putters;
  for (int i = 0; i < run.options().clients; ++i)
    putters.push_back(std::make_unique<Putter>(run, times, i, &next));
  for (auto& p : putters)
    p->Start();
  bool finished = WaitForClients(run);
  // The last events are still on their way; wait for them (a little).
  uint64_t puts = 0;
  for (auto& p : putters)
    puts += p->ok();
  uint64_t expected = puts * watchers.size();
  auto drain = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < drain) {
    uint64_t got = 0;
    for (auto& w : watchers)
      got += w->events();
    if (got >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& w : watchers)
    w->Close();
  std::vector<Tally> tallies;
  CollectTallies(putters, finished, &tallies);
  CollectTallies(watchers, true, &tallies);  // closed above
  return tallies;
}

}  // namespace cairn::bench
