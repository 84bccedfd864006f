#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "base/status.h"
#include "consensus/raft/types.h"

namespace cairn::storage {

// Where an entry's record lives on disk.
struct EntryLocation {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint32_t size = 0;  // whole record, header included
  raft::Term term = 0;
};

// What the WAL knows about one consensus group: its latest snapshot point,
// hard state, and where each entry after the snapshot is. The same code
// replays records at recovery and tracks them while writing, so the two can
// never disagree about what the log holds.
struct GroupLog {
  raft::SnapshotMeta snapshot;  // index 0: none
  raft::HardState hard_state;
  std::deque<EntryLocation> entries;  // entries[i] is index snapshot.index + 1 + i
  // Recovery only: the entries start after a hole. Segments are deleted once
  // a durable snapshot covers them, but the snapshot record comes after the
  // entries that survive, so replay meets the hole first. `snapshot` holds a
  // placeholder (index just before the hole, term 0) until a snapshot record
  // reaching that far arrives; if none does, the log is damaged.
  bool hole_pending = false;
  // Recovery only: the snapshot the hole replaced. Entries at or below it
  // stay covered, as they were for the writer.
  raft::SnapshotMeta hole_base;

  raft::Index first_index() const { return snapshot.index + 1; }
  raft::Index last_index() const { return snapshot.index + entries.size(); }
  const EntryLocation* Find(raft::Index index) const;
  std::optional<raft::Term> TermAt(raft::Index index) const;

  // Raft semantics: an entry at an index the log already has replaces it and
  // everything after it; an entry beyond last_index()+1 is a gap, which only
  // corruption can produce.
  Status AppendEntry(raft::Index index, const EntryLocation& loc, bool hole_allowed = false);
  // A snapshot at or behind the current one changes nothing; one whose point
  // the log has (same term) compacts the log up to it; any other replaces the
  // whole log (the follower-installs-a-snapshot case).
  void ApplySnapshot(const raft::SnapshotMeta& meta);
};

using GroupLogs = std::map<uint64_t, GroupLog>;

}  // namespace cairn::storage
