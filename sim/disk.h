#pragma once

#include <map>
#include <variant>
#include <vector>

#include "base/random.h"
#include "consensus/raft/raft.h"

namespace cairn::sim {

// A node's simulated disk. Writes queue up unsynced, in order, as in a
// write-ahead log; Sync() makes them durable. A crash keeps what was synced
// plus a random prefix of the rest (a torn tail is cut at a record boundary,
// as a checksummed log recovers it).
class SimDisk {
 public:
  struct InstallSnapshot {
    raft::Snapshot snapshot;  // replaces the whole log
  };
  struct CompactSnapshot {
    raft::Snapshot snapshot;  // the node's own snapshot; later entries stay
  };
  using Record = std::variant<raft::HardState, raft::Entry, InstallSnapshot, CompactSnapshot>;

  void Write(Record record) { unsynced_.push_back(std::move(record)); }
  void Sync();
  void Crash(Random& random);
  bool HasUnsynced() const { return !unsynced_.empty(); }

  // What recovery finds, as the core's InitialState.
  raft::InitialState Recover(const raft::ConfState& bootstrap) const;
  const raft::Snapshot& snapshot() const { return snapshot_; }
  // The durable hard state (what survives any crash).
  const raft::HardState& synced_hard_state() const { return hard_state_; }
  // The durable log's last (index, term): what a vote after a crash would
  // be judged by.
  std::pair<raft::Index, raft::Term> SyncedLast() const;
  // Whether the durable log holds (index, term), or a snapshot covers index.
  bool SyncedHas(raft::Index index, raft::Term term) const;

 private:
  void ApplyRecord(const Record& record);

  raft::HardState hard_state_;
  raft::Snapshot snapshot_;
  std::map<raft::Index, raft::Entry> entries_;
  std::vector<Record> unsynced_;
};

}  // namespace cairn::sim
