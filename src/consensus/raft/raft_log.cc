#include "consensus/raft/raft_log.h"

#include <algorithm>

#include "base/logging.h"

namespace cairn::raft {

RaftLog::RaftLog(Index snapshot_index, Term snapshot_term)
    : snapshot_index_(snapshot_index),
      snapshot_term_(snapshot_term),
      stable_index_(snapshot_index) {}

Term RaftLog::LastTerm() const {
  return entries_.empty() ? snapshot_term_ : entries_.back().term;
}

std::optional<Term> RaftLog::TermAt(Index index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > LastIndex()) return std::nullopt;
  return entries_[index - snapshot_index_ - 1].term;
}

bool RaftLog::Matches(Index index, Term term) const {
  auto t = TermAt(index);
  return t.has_value() && *t == term;
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
}

const Entry& RaftLog::At(Index index) const {
  CAIRN_CHECK(index > snapshot_index_ && index <= LastIndex())
      << "At(" << index << ") out of range";
  return entries_[index - snapshot_index_ - 1];
}

std::vector<Entry> RaftLog::Slice(Index lo, Index hi, uint64_t max_bytes) const {
  std::vector<Entry> out;
  uint64_t bytes = 0;
  hi = std::min(hi, LastIndex() + 1);
  for (Index i = lo; i < hi; i++) {
    const Entry& e = At(i);
    if (!out.empty() && bytes + e.ByteSize() > max_bytes) break;
    bytes += e.ByteSize();
    out.push_back(e);
  }
  return out;
}

void RaftLog::Append(Entry entry) {
  CAIRN_CHECK(entry.index == LastIndex() + 1) << "append out of order at " << entry.index;
  CAIRN_CHECK(entry.term >= LastTerm()) << "append with a lower term at " << entry.index;
  entries_.push_back(std::move(entry));
}

Index RaftLog::AppendAfter(Index prev_index, const std::vector<Entry>& entries) {
  Index last = prev_index;
  for (const Entry& e : entries) {
    CAIRN_CHECK(e.index == last + 1) << "entries not contiguous at " << e.index;
    last = e.index;
    if (e.index <= snapshot_index_) continue;  // covered by our snapshot
    auto existing = TermAt(e.index);
    if (existing.has_value() && *existing == e.term) continue;
    if (existing.has_value()) TruncateFrom(e.index);
    entries_.push_back(e);
  }
  return last;
}

void RaftLog::TruncateFrom(Index index) {
  CAIRN_CHECK(index > snapshot_index_) << "truncating into the snapshot at " << index;
  entries_.resize(index - snapshot_index_ - 1);
  stable_index_ = std::min(stable_index_, index - 1);
}

void RaftLog::Restore(Index snapshot_index, Term snapshot_term) {
  entries_.clear();
  snapshot_index_ = snapshot_index;
  snapshot_term_ = snapshot_term;
  stable_index_ = snapshot_index;
}

void RaftLog::CompactTo(Index index) {
  if (index <= snapshot_index_) return;
  CAIRN_CHECK(index <= LastIndex()) << "compacting past the end to " << index;
  const Term term = *TermAt(index);
  entries_.erase(entries_.begin(), entries_.begin() + (index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = term;
  stable_index_ = std::max(stable_index_, index);
}

void RaftLog::StableTo(Index index, Term term) {
  // A truncation since the Ready was taken may have replaced the entry; then
  // the newer entries are still unstable and come in the next Ready.
  if (index > stable_index_ && Matches(index, term)) stable_index_ = index;
}

std::vector<Entry> RaftLog::Unstable() const {
  if (stable_index_ >= LastIndex()) return {};
  return std::vector<Entry>(entries_.begin() + (stable_index_ - snapshot_index_), entries_.end());
}

Index RaftLog::FindConflictByTerm(Index index, Term term) const {
  index = std::min(index, LastIndex());
  while (index > snapshot_index_) {
    if (*TermAt(index) <= term) return index;
    index--;
  }
  return index;
}

}  // namespace cairn::raft
