#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "api/lessor.h"
#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/mvcc_store.h"

namespace cairn::api {

struct LeaseKeeperOptions {
  const kv::MvccStore* store = nullptr;
  // Whether this member leads the group now (cheap; called often).
  std::function<bool()> is_leader;
  // Proposes revoking an expired lease; fire and forget (a lost revoke is
  // proposed again after `retry`).
  std::function<void(int64_t id)> revoke;
  // Added to every TTL when this member becomes leader: the election
  // timeout, the longest a client may have been unable to renew.
  std::chrono::milliseconds extend{1000};
  std::chrono::milliseconds tick{100};
  size_t max_revokes_per_tick = 100;
  std::chrono::milliseconds retry{3000};
};

// Runs a Lessor on this member: follows leadership and the committed lease
// table, answers keep-alives and time-to-live on the leader, and proposes a
// revoke for every lease that expires while this member leads.
class LeaseKeeper {
 public:
  explicit LeaseKeeper(LeaseKeeperOptions options);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Stop();

  // For metrics: leases this member tracks (the whole lease table), and
  // how many expired while it led (each then revoked).
  size_t active_leases();
  uint64_t expired_leases() const { return expired_total_.load(std::memory_order_relaxed); }

  // Leader-side answers with etcd's conventions: an unknown or expired
  // lease keeps alive with TTL 0, and lives TTL -1. kFailedPrecondition
  // when this member does not lead (the caller forwards to the leader).
  Result<etcdserverpb::LeaseKeepAliveResponse> KeepAlive(
      const etcdserverpb::LeaseKeepAliveRequest& request);
  Result<etcdserverpb::LeaseTimeToLiveResponse> TimeToLive(
      const etcdserverpb::LeaseTimeToLiveRequest& request);

 private:
  // Under mu_: follows leadership and the lease table.
  void RefreshLocked(Lessor::TimePoint now);
  void Run();

  const LeaseKeeperOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Lessor lessor_;
  uint64_t synced_generation_ = UINT64_MAX;
  std::atomic<uint64_t> expired_total_{0};
  std::thread thread_;
};

}  // namespace cairn::api
