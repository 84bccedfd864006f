#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "kv/mvcc_store.h"

namespace cairn::api {

// Lease time, kept by the leader alone (etcd's lessor): which committed
// lease expires when. Followers keep no time (nothing of theirs expires), and
// a lease ends only by a revoke the leader proposes, so every member deletes
// its keys at the same point of the log.
//
// Pure: the caller passes the time in and holds any lock; no clock read here.
class Lessor {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // Brings the table in line with the committed leases: a new one starts
  // its TTL at `now` (if this member is primary), a revoked one is dropped,
  // the others keep their expiry.
  void Sync(const std::vector<kv::MvccStore::Lease>& committed, TimePoint now);

  // This member became leader. The old leader may have renewed any lease
  // moments before it fell, and the election took time: every lease gets
  // its whole TTL again from now plus `extend`, so none expires early.
  void Promote(TimePoint now, Duration extend);
  // This member stopped leading: it keeps no time any more.
  void Demote();
  bool primary() const { return primary_; }

  // Keep-alive: the lease's granted TTL, its clock restarted; nullopt when
  // there is no such lease or it has already expired (its revoke is on the
  // way, as in etcd). Only a primary renews.
  std::optional<int64_t> Renew(int64_t id, TimePoint now);

  struct TimeLeft {
    int64_t remaining = 0;  // whole seconds left, never negative
    int64_t granted = 0;
  };
  std::optional<TimeLeft> TimeToLive(int64_t id, TimePoint now) const;

  // Expired leases to revoke, at most `max`, in id order. A lease handed
  // out here is not handed out again before `retry` has passed (its revoke
  // may have been lost with a leader change).
  std::vector<int64_t> Expired(TimePoint now, size_t max, Duration retry);

  size_t size() const { return leases_.size(); }

 private:
  struct Entry {
    int64_t ttl = 0;  // seconds
    TimePoint expiry;
    std::optional<TimePoint> revoke_sent;
  };
  static Duration Seconds(int64_t s) { return std::chrono::seconds(s); }

  bool primary_ = false;
  std::map<int64_t, Entry> leases_;
};

}  // namespace cairn::api
