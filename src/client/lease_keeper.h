#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "client/lease.h"

namespace cairn::client {

// Keeps one lease alive from a background thread (a keep-alive every third
// of its TTL) for as long as the keeper lives: what a lock holder or an
// election candidate needs. When the lease is lost (expired, revoked, or
// keep-alives failing past its TTL) it calls `on_lost` once, from its thread.
class LeaseKeeper {
 public:
  LeaseKeeper(ConnectionOptions options, int64_t lease_id, int64_t ttl_seconds,
              std::function<void(const Status&)> on_lost);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Run();

  // Its own connection: Connection is not thread-safe.
  Connection connection_;
  int64_t lease_id_;
  int64_t ttl_seconds_;
  std::function<void(const Status&)> on_lost_;
  Cancellation cancellation_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::client
