#pragma once

#include <cstdint>

#include "base/status.h"
#include "kv/read_view.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

namespace cairn::kv {

// Physically compacts at `revision`: for every key, deletes the versions
// older than its newest version at or below `revision`, and that version
// too when it is a tombstone; deletes change-log records below `revision`.
// Reads at `revision` and later see exactly what they saw before.
//
// The deletions are collected first, then written (the batch may not
// change under its iterator), so memory grows with the number of versions
// removed: fine for the sizes a group holds today; a chunked background
// compaction is the way past that.
Status CompactVersions(RawReader* reader, rocksdb::WriteBatchWithIndex* batch, int64_t revision);

}  // namespace cairn::kv
