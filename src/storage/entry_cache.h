#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "consensus/raft/types.h"

namespace cairn::storage {

// The most recent entries of every group, bounded in bytes across all groups,
// so that followers that are only slightly behind are served from memory.
// Entries leave in the order they came in; per group the cache always holds a
// contiguous run ending at the newest entry it was given. Not thread-safe.
class EntryCache {
 public:
  explicit EntryCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // `entry` follows the group's cached run, or replaces its suffix from
  // entry.index on (a conflicting append).
  void Add(uint64_t group, const raft::Entry& entry);
  const raft::Entry* Get(uint64_t group, raft::Index index) const;
  // Drops everything at or below `index` (covered by a snapshot).
  void DropUpTo(uint64_t group, raft::Index index);
  void DropGroup(uint64_t group);

  size_t bytes() const { return bytes_; }
  size_t entries() const { return entries_; }
  // Bookkeeping size, for tests: stays within a small multiple of entries().
  size_t arrivals() const { return arrivals_.size(); }

 private:
  struct Run {
    raft::Index first = 0;  // index of entries.front()
    std::deque<raft::Entry> entries;
  };
  void EvictOldest();
  void CompactArrivals();

  size_t max_bytes_;
  size_t bytes_ = 0;
  size_t entries_ = 0;
  std::map<uint64_t, Run> runs_;
  // Arrival order of (group, index); stale pairs (already dropped) are skipped.
  std::deque<std::pair<uint64_t, raft::Index>> arrivals_;
};

}  // namespace cairn::storage
