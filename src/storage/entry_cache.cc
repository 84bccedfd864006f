#include "storage/entry_cache.h"

namespace cairn::storage {

void EntryCache::Add(uint64_t group, const raft::Entry& entry) {
  if (entry.ByteSize() > max_bytes_) {
    DropUpTo(group, UINT64_MAX);  // the run must stay contiguous up to the newest entry
    return;
  }
  if (Run* existing = &runs_[group]; !existing->entries.empty()) {
    raft::Index next = existing->first + existing->entries.size();
    if (entry.index < existing->first || entry.index > next) {
      DropUpTo(group, UINT64_MAX);  // erases the run
    } else {
      Run& run = *existing;
      while (run.first + run.entries.size() > entry.index) {
        bytes_ -= run.entries.back().ByteSize();
        run.entries.pop_back();
        --entries_;
      }
    }
  }
  Run& run = runs_[group];
  if (run.entries.empty()) run.first = entry.index;
  run.entries.push_back(entry);
  bytes_ += entry.ByteSize();
  arrivals_.emplace_back(group, entry.index);
  ++entries_;
  // Dropped and replaced entries leave their arrivals behind; when those
  // outnumber the live ones, keep only the live ones (in order).
  if (arrivals_.size() > 2 * entries_ + 64) CompactArrivals();
  while (bytes_ > max_bytes_)
    EvictOldest();
}

const raft::Entry* EntryCache::Get(uint64_t group, raft::Index index) const {
  auto it = runs_.find(group);
  if (it == runs_.end()) return nullptr;
  const Run& run = it->second;
  if (index < run.first || index >= run.first + run.entries.size()) return nullptr;
  return &run.entries[index - run.first];
}

void EntryCache::DropUpTo(uint64_t group, raft::Index index) {
  auto it = runs_.find(group);
  if (it == runs_.end()) return;
  Run& run = it->second;
  while (!run.entries.empty() && run.first <= index) {
    bytes_ -= run.entries.front().ByteSize();
    run.entries.pop_front();
    ++run.first;
    --entries_;
  }
  if (run.entries.empty()) runs_.erase(it);
  if (arrivals_.size() > 2 * entries_ + 64) CompactArrivals();
}

void EntryCache::DropGroup(uint64_t group) {
  DropUpTo(group, UINT64_MAX);
}

void EntryCache::EvictOldest() {
  while (!arrivals_.empty()) {
    auto [group, index] = arrivals_.front();
    arrivals_.pop_front();
    auto it = runs_.find(group);
    // Only the front of a run can be evicted without breaking contiguity; a
    // pair that no longer names the front was dropped or replaced already.
    if (it != runs_.end() && it->second.first == index) {
      DropUpTo(group, index);
      return;
    }
  }
  // Unreachable while every live entry has an arrival; never loop forever.
  runs_.clear();
  bytes_ = 0;
  entries_ = 0;
}

void EntryCache::CompactArrivals() {
  std::deque<std::pair<uint64_t, raft::Index>> live;
  for (const auto& [group, index] : arrivals_) {
    auto it = runs_.find(group);
    if (it != runs_.end() && index >= it->second.first &&
        index < it->second.first + it->second.entries.size()) {
      live.emplace_back(group, index);
    }
  }
  arrivals_.swap(live);
}

}  // namespace cairn::storage
