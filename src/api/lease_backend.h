#pragma once

#include <cstdint>
#include <functional>

#include "api/kv_backend.h"

namespace cairn::api {

// What the etcd Lease service needs beyond writes: the leader's answers.
class LeaseBackend : public KvBackend {
 public:
  // Runs a leader query (a RaftRequest with lease_keep_alive or
  // lease_time_to_live) on the group's leader, forwarded there when this
  // member is not it. The answer's response holds the matching etcd
  // response.
  virtual void LeaderQuery(const cairnpb::RaftRequest& request,
                           std::function<void(Result<kv::ApplyResult>)> done) = 0;
  // The shortest TTL granted, in seconds (etcd: 1.5 election timeouts,
  // rounded up): a shorter lease could expire during a leader election.
  virtual int64_t min_lease_ttl() const = 0;
  // A fresh lease ID (positive, unlikely to be in use) for a grant whose
  // client left the ID 0.
  virtual int64_t NewLeaseId() = 0;
};

}  // namespace cairn::api
