#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/slice.h"
#include "base/status.h"
#include "kv/read_view.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

// The replicated part of leases: which leases exist with their granted TTL,
// and which keys each one carries. Expiry is not here: time is the leader's
// business (api/lessor.h), and a lease ends only by a committed revoke.
namespace cairn::kv {

// Reads go through `reader` (the batch being built, when applying), so an
// entry sees the leases granted earlier in its batch.
Result<bool> LeaseExists(RawReader* reader, int64_t id);
Status PutLease(rocksdb::WriteBatchWithIndex* batch, int64_t id, int64_t ttl);
Status DeleteLease(rocksdb::WriteBatchWithIndex* batch, int64_t id);

// Keys attached to lease `id`, in key order.
Result<std::vector<std::string>> LeaseKeys(RawReader* reader, int64_t id);
Status AttachKey(rocksdb::WriteBatchWithIndex* batch, int64_t id, Slice key);
Status DetachKey(rocksdb::WriteBatchWithIndex* batch, int64_t id, Slice key);

// Every lease, in id order (as unsigned, the encoding's order).
Status ForEachLease(RawReader* reader, const std::function<void(int64_t id, int64_t ttl)>& visit);

}  // namespace cairn::kv
