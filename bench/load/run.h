#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/histogram.h"
#include "bench/load/options.h"

namespace cairn::bench {

using Clock = std::chrono::steady_clock;

inline int64_t NanosSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
}

// What one client saw. Only its own callbacks touch it (one request in
// flight per client), so recording takes no lock; tallies merge at the end.
struct Tally {
  Histogram latency;
  std::map<int, uint64_t> errors;  // by gRPC status code
  std::map<int, std::string> first_message;

  void RecordError(const grpc::Status& status);
  void Merge(const Tally& other);
};

// Spaces request starts --rate apart over all clients. Starts that are not
// due yet wait on the pacer's thread, never on a gRPC callback thread.
class Pacer {
 public:
  explicit Pacer(double rate);
  ~Pacer();

  // Runs `start` now if it is due, else when it is; with no rate, now.
  void Schedule(std::function<void()> start);

 private:
  struct Due {
    Clock::time_point at;
    uint64_t order;
    std::function<void()> start;
    bool operator>(const Due& other) const {
      return at != other.at ? at > other.at : order > other.order;
    }
  };
  void Loop();

  const std::chrono::nanoseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point next_;
  uint64_t order_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  bool stopping_ = false;
  std::thread thread_;
};

// The state every client of one run shares: the request budget, the stop
// signal, the live counters behind the progress line, and the channels.
class Run {
 public:
  explicit Run(const Options& options);

  const Options& options() const { return options_; }
  // The channel of client i (clients are spread over the connections).
  const std::shared_ptr<grpc::Channel>& ChannelFor(int client) const {
    return channels_[client % channels_.size()];
  }
  Pacer& pacer() { return pacer_; }

  // Claims one more request; false once --total is reached or Stop was called.
  bool Claim();
  void Stop() { stopping_ = true; }
  bool stopping() const { return stopping_; }

  // A request's deadline, --timeout from now.
  std::chrono::system_clock::time_point Deadline() const;

  void CountOk() { ok_.fetch_add(1, std::memory_order_relaxed); }
  void CountFailed() { failed_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t ok() const { return ok_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

  // Clients register before they start and report once they have stopped.
  void ClientStarted();
  void ClientFinished();
  // Waits until every client has finished or `deadline`; true if all did.
  bool WaitClientsFinished(Clock::time_point deadline);

 private:
  const Options options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  Pacer pacer_;
  std::atomic<uint64_t> claimed_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> failed_{0};
  std::mutex mu_;
  std::condition_variable all_finished_;
  int active_ = 0;
};

// Waits until every client of `run` has finished: as long as the run goes
// on, then at most --timeout more for the requests in flight. False if some
// client never finished (its memory must then be left alone).
bool WaitForClients(Run& run);

// Appends each client's tally to `out`. If some client never finished
// (`finished` false), the clients are left allocated: a request still inside
// gRPC may call back into any of them.
template <typename Client>
void CollectTallies(std::vector<std::unique_ptr<Client>>& clients, bool finished,
                    std::vector<Tally>* out) {
  for (auto& c : clients)
    out->push_back(c->tally());
  if (!finished) {
    for (auto& c : clients)
      (void)c.release();
  }
}

}  // namespace cairn::bench
