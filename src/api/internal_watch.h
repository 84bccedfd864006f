#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "api/watch_hub.h"

namespace cairn::api {

// A watch the server keeps for itself (locks wait for keys to go, election
// observers follow the leader), on the node's WatchHub like a client's.
class InternalWatch : public std::enable_shared_from_this<InternalWatch> {
 public:
  // Gets every response in order (the "created" one first); returns false
  // to stop watching. Calls never overlap; it must not call Stop.
  using OnResponse = std::function<bool(const etcdserverpb::WatchResponse&)>;

  static std::shared_ptr<InternalWatch> Start(WatchHub* hub,
                                              const etcdserverpb::WatchCreateRequest& request,
                                              OnResponse on_response);
  ~InternalWatch();
  // No call of on_response starts after this returns.
  void Stop();

 private:
  InternalWatch(WatchHub* hub, OnResponse on_response)
      : hub_(hub), on_response_(std::move(on_response)) {}
  void Drain();

  WatchHub* const hub_;
  const OnResponse on_response_;
  std::mutex mu_;  // held while on_response_ runs
  bool stopped_ = false;
  WatchHub::StreamId stream_ = 0;
};

}  // namespace cairn::api
