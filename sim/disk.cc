#include "sim/disk.h"

namespace cairn::sim {

void SimDisk::ApplyRecord(const Record& record) {
  if (auto* hs = std::get_if<raft::HardState>(&record)) {
    hard_state_ = *hs;
  } else if (auto* e = std::get_if<raft::Entry>(&record)) {
    entries_.erase(entries_.lower_bound(e->index), entries_.end());
    entries_[e->index] = *e;
  } else if (auto* s = std::get_if<InstallSnapshot>(&record)) {
    snapshot_ = s->snapshot;
    entries_.clear();
  } else if (auto* c = std::get_if<CompactSnapshot>(&record)) {
    if (c->snapshot.meta.index > snapshot_.meta.index) {
      snapshot_ = c->snapshot;
      entries_.erase(entries_.begin(), entries_.upper_bound(snapshot_.meta.index));
    }
  }
}

void SimDisk::Sync() {
  for (const auto& r : unsynced_)
    ApplyRecord(r);
  unsynced_.clear();
}

void SimDisk::Crash(Random& random) {
  const size_t kept = random.Uniform(unsynced_.size() + 1);
  for (size_t i = 0; i < kept; i++)
    ApplyRecord(unsynced_[i]);
  unsynced_.clear();
}

std::pair<raft::Index, raft::Term> SimDisk::SyncedLast() const {
  // Entries after a gap are unusable (Recover stops there), but the log's
  // records keep entries contiguous, so the last one is the end.
  if (entries_.empty()) return {snapshot_.meta.index, snapshot_.meta.term};
  return {entries_.rbegin()->first, entries_.rbegin()->second.term};
}

bool SimDisk::SyncedHas(raft::Index index, raft::Term term) const {
  if (index <= snapshot_.meta.index) return true;
  auto it = entries_.find(index);
  return it != entries_.end() && it->second.term == term;
}

raft::InitialState SimDisk::Recover(const raft::ConfState& bootstrap) const {
  raft::InitialState st;
  st.hard_state = hard_state_;
  st.snapshot = snapshot_;
  st.conf = bootstrap;
  st.applied = snapshot_.meta.index;
  // Only the contiguous run after the snapshot is usable.
  raft::Index next = snapshot_.meta.index + 1;
  for (auto it = entries_.upper_bound(snapshot_.meta.index); it != entries_.end(); ++it) {
    if (it->first != next) break;
    st.entries.push_back(it->second);
    next++;
  }
  return st;
}

}  // namespace cairn::sim
