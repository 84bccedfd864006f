#pragma once

#include "base/status.h"

// Every error the kv layer reports to clients, in one table, with the gRPC
// code and message etcd v3.4 gives for it (etcd's rpctypes), so a client
// cannot tell Cairn from etcd by its errors. The few Cairn-only entries are
// for inputs on which etcd would crash (it has no error for them).
namespace cairn::kv {

enum class KvError {
  kEmptyKey,          // a key, or a compare's key, is empty
  kKeyNotFound,       // ignore_value/ignore_lease on a missing key; empty RequestOp
  kValueProvided,     // ignore_value with a value
  kLeaseProvided,     // ignore_lease with a lease
  kTooManyOps,        // a txn level with more operations than the limit
  kDuplicateKey,      // a txn writes one key twice, or puts into a range it deletes
  kCompacted,         // the revision asked for has been compacted away
  kFutureRev,         // the revision asked for has not happened yet
  kBadSortTarget,     // Cairn only: sort_target outside the enum (etcd panics)
  kLeaseNotFound,     // a put names, or a revoke/renew asks for, a lease that does not exist
  kLeaseExists,       // a grant asks for an ID already in use
  kLeaseTtlTooLarge,  // a grant's TTL above kMaxLeaseTtl
  kNoSpace,           // NOSPACE is raised and the request would add data
  kCorrupt,           // CORRUPT is raised: no writes at all
};

struct KvErrorInfo {
  Code code;
  const char* message;
};

const KvErrorInfo& ErrorInfo(KvError error);
Status KvStatus(KvError error);

}  // namespace cairn::kv

namespace cairn::kv {

// A request's own failure (deterministic: every replica reports the same,
// and the entry changes nothing), as opposed to the store's (a read or
// write of RocksDB failed; the node must stop applying). Request errors
// use only these codes; store errors never do.
inline bool IsRequestError(const Status& s) {
  return s.code() == Code::kInvalidArgument || s.code() == Code::kOutOfRange ||
         s.code() == Code::kNotFound || s.code() == Code::kFailedPrecondition;
}

}  // namespace cairn::kv
