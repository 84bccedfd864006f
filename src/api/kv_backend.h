#pragma once

#include <cstdint>
#include <functional>

#include "base/status.h"
#include "cairn/raft_request.pb.h"
#include "kv/mvcc_store.h"

namespace cairn::api {

// What the etcd KV service needs from the node it runs on.
class KvBackend {
 public:
  virtual ~KvBackend() = default;

  // Commits `request` through consensus (forwarding to the leader when this
  // member is not it) and reports the applied result.
  virtual void Write(const cairnpb::RaftRequest& request,
                     std::function<void(Result<kv::ApplyResult>)> done) = 0;
  // Runs `done` once a local read would be linearizable.
  virtual void ReadBarrier(std::function<void(Status)> done) = 0;
  virtual const kv::MvccStore& store() const = 0;

  struct Header {
    uint64_t cluster_id = 0;
    uint64_t member_id = 0;
    uint64_t raft_term = 0;
  };
  virtual Header header() const = 0;

  virtual int max_txn_ops() const = 0;
  virtual size_t max_request_bytes() const = 0;
};

}  // namespace cairn::api
