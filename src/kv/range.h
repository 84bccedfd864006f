#pragma once

#include <cstdint>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/read_view.h"

namespace cairn::kv {

// etcd's Range (etcdserver/apply.go, mvcc rangeKeys) over `reader`, where
// `current` is the revision the reader's state is at (and the header's)
// and `compacted` the compacted revision:
//   - count is every key live in the range at the revision, before limit
//     and the min/max filters;
//   - with a sort order or a filter, everything is fetched, filtered,
//     sorted, then cut to limit; otherwise limit+1 keys are fetched in key
//     order, and a sort_target other than KEY (with order NONE) sorts those
//     ascending;
//   - more is true when limit cut anything off.
// Ties in a sort keep key order (etcd leaves them unspecified).
Result<etcdserverpb::RangeResponse> ExecuteRange(RawReader* reader,
                                                 const etcdserverpb::RangeRequest& req,
                                                 int64_t current, int64_t compacted);

}  // namespace cairn::kv
