#pragma once

#include <cstdint>

#include "base/status.h"
#include "cairn/raft_request.pb.h"
#include "etcd/etcdserverpb/rpc.pb.h"

// The checks etcd makes on a request before it reaches the log
// (etcdserver/api/v3rpc/key.go), with the same errors in the same order.
// The API layer runs them before proposing; Apply runs them again, because
// an entry that fails them must change nothing on any replica.
namespace cairn::kv {

inline constexpr int kDefaultMaxTxnOps = 128;
// For applying committed entries: the op limit was enforced by the member
// that proposed them.
inline constexpr int kNoTxnOpsLimit = INT32_MAX;
// etcd's MaxLeaseTTL, in seconds (about 285 years).
inline constexpr int64_t kMaxLeaseTtl = 9000000000;

Status ValidateRange(const etcdserverpb::RangeRequest& req);
Status ValidatePut(const etcdserverpb::PutRequest& req);
Status ValidateDeleteRange(const etcdserverpb::DeleteRangeRequest& req);
// Operation counts (per level, shrinking with depth as etcd's do), empty
// keys, then overlapping writes ("duplicate key") in each branch.
Status ValidateTxn(const etcdserverpb::TxnRequest& req, int max_txn_ops);
Status ValidateRaftRequest(const cairnpb::RaftRequest& req, int max_txn_ops);

}  // namespace cairn::kv
