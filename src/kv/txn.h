#pragma once

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/writer.h"

namespace cairn::kv {

// True when every operation, in both branches and every nested txn, is a
// Range: such a txn never takes a revision.
bool IsReadOnlyTxn(const etcdserverpb::TxnRequest& req);

// etcd's applierV3backend.Txn, for a validated request: evaluates every
// compare against the state before the txn to pick the branches, checks
// the chosen operations (ignore_* keys exist; ranged revisions neither
// compacted nor in the future) before writing anything, then applies them
// in order through `w`. Errors are request errors (nothing written) or
// store errors; see IsRequestError.
Result<etcdserverpb::TxnResponse> ApplyTxn(Writer* w, const etcdserverpb::TxnRequest& req);

// Whether a compare holds on the current state of `reader` at `revision`.
Result<bool> EvaluateCompare(RawReader* reader, int64_t revision,
                             const etcdserverpb::Compare& compare);

}  // namespace cairn::kv
