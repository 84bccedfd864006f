#pragma once

#include <string>

#include "client/connection.h"
#include "etcd/v3lockpb/v3lock.grpc.pb.h"

namespace cairn::client {

// etcd's v3lock service. The lock is owned by a lease: it is released by
// Unlock or when the lease ends, so a holder keeps its lease alive
// (LeaseKeeper) while it holds the lock.
class Lock {
 public:
  explicit Lock(Connection& connection) : connection_(connection) {}

  // Waits (no deadline) until the lock `name` is held under `lease_id`; the
  // answer's key is what Unlock takes.
  Result<v3lockpb::LockResponse> Acquire(const std::string& name, int64_t lease_id,
                                         Cancellation* cancellation);
  Result<v3lockpb::UnlockResponse> Release(const std::string& key);

 private:
  Connection& connection_;
};

}  // namespace cairn::client
