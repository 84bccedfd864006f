#pragma once

#include <cstdint>
#include <optional>

#include "base/slice.h"
#include "base/status.h"
#include "etcd/mvccpb/kv.pb.h"
#include "kv/read_view.h"

namespace cairn::kv {

// Builds the client's view of one stored live version.
Status DecodeKeyValue(Slice raw_key, int64_t revision, Slice raw_value, bool with_value,
                      mvccpb::KeyValue* kv);

// The newest version of `key` if it is live, through the latest-version
// index: what a read at the reader's own (current) revision sees.
Result<std::optional<mvccpb::KeyValue>> GetLatest(RawReader* reader, Slice key);

// A Range's revision, resolved as etcd does: 0 or less is `current`; above
// `current` is a future revision; below `compacted` has been compacted.
Result<int64_t> ResolveReadRevision(int64_t requested, int64_t current, int64_t compacted);

}  // namespace cairn::kv
