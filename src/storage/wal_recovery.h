#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/file.h"
#include "storage/log_index.h"

namespace cairn::storage {

// One segment file, `<16 hex digits of seq>.wal` in the WAL directory.
struct SegmentInfo {
  uint64_t seq = 0;
  std::string path;
  uint64_t end = 0;  // offset just past the last valid record
  // Highest entry index each group has in this segment: the segment may be
  // deleted once every group's snapshot reaches its index here.
  std::map<uint64_t, raft::Index> max_index;
};

struct RecoveredWal {
  GroupLogs groups;
  std::vector<SegmentInfo> segments;
  uint64_t last_batch = 0;
  uint64_t records = 0;
  // Human-readable account of a torn tail that was cut off (empty if none).
  std::string repaired;
};

std::string SegmentFileName(uint64_t seq);
bool ParseSegmentFileName(const std::string& name, uint64_t* seq);

// Replays every segment in `dir`. A torn tail (damage after which at most one
// batch's records survive, the batch that was being written) is truncated
// and reported in `repaired`. Damage followed by records of other batches
// can only be corruption of acknowledged data: that is a DataLoss error
// naming the file and offset, and nothing is modified.
Result<RecoveredWal> RecoverWal(FileSystem* fs, const std::string& dir);

}  // namespace cairn::storage
