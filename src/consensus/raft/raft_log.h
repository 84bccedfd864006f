#pragma once

#include <optional>
#include <vector>

#include "consensus/raft/types.h"

namespace cairn::raft {

// The log as the core sees it: the entries after the last snapshot, held in
// memory, and how far they are known to be durable. The node persists what
// Ready hands it; this class only tracks the boundary.
class RaftLog {
 public:
  // A log that starts after a snapshot at (index, term); index 0 for none.
  RaftLog(Index snapshot_index, Term snapshot_term);

  Index FirstIndex() const { return snapshot_index_ + 1; }
  Index LastIndex() const { return snapshot_index_ + entries_.size(); }
  Term LastTerm() const;
  Index snapshot_index() const { return snapshot_index_; }
  Term snapshot_term() const { return snapshot_term_; }

  // The term of the entry at `index`, or nullopt when it is compacted away
  // or beyond the end (the snapshot's own index still has a known term).
  std::optional<Term> TermAt(Index index) const;
  bool Matches(Index index, Term term) const;
  // Candidate's log is at least as up to date as ours (Raft §5.4.1).
  bool IsUpToDate(Index last_index, Term last_term) const;

  const Entry& At(Index index) const;
  // Entries in [lo, hi), stopping early past max_bytes (always at least one).
  std::vector<Entry> Slice(Index lo, Index hi, uint64_t max_bytes) const;

  void Append(Entry entry);
  // Appends entries that follow `prev_index`, truncating any conflicting
  // suffix. Returns the index of the last entry now matching.
  Index AppendAfter(Index prev_index, const std::vector<Entry>& entries);
  // Discards everything and restarts after a snapshot.
  void Restore(Index snapshot_index, Term snapshot_term);
  // Drops entries up to and including `index` (now covered by a snapshot).
  void CompactTo(Index index);

  // Durability boundary.
  Index stable_index() const { return stable_index_; }
  void StableTo(Index index, Term term);
  std::vector<Entry> Unstable() const;
  void MarkAllStable() { stable_index_ = LastIndex(); }

  // The largest index <= `index` whose term is <= `term`: where a follower
  // that rejected an append can match (fast back-off).
  Index FindConflictByTerm(Index index, Term term) const;

 private:
  void TruncateFrom(Index index);

  Index snapshot_index_;
  Term snapshot_term_;
  std::vector<Entry> entries_;  // entries_[i].index == snapshot_index_ + 1 + i
  Index stable_index_;
};

}  // namespace cairn::raft
