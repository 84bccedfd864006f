#include "consensus/raft/progress.h"

#include <algorithm>

namespace cairn::raft {

void Inflights::Add(Index last, uint64_t bytes) {
  q_.push_back({last, bytes});
  bytes_ += bytes;
}

void Inflights::FreeUpTo(Index index) {
  while (!q_.empty() && q_.front().last <= index) {
    bytes_ -= q_.front().bytes;
    q_.pop_front();
  }
}

void Inflights::FreeFirstOne() {
  if (q_.empty()) return;
  bytes_ -= q_.front().bytes;
  q_.pop_front();
}

void Inflights::Reset() {
  q_.clear();
  bytes_ = 0;
}

bool Inflights::Full() const {
  return static_cast<int>(q_.size()) >= max_msgs_ || (max_bytes_ > 0 && bytes_ >= max_bytes_);
}

void Progress::BecomeProbe() {
  // After a snapshot the follower has at least the snapshot's index.
  if (state == State::kSnapshot) {
    next = std::max(match + 1, snapshot_index + 1);
  } else {
    next = match + 1;
  }
  state = State::kProbe;
  probe_sent = false;
  snapshot_index = 0;
  snapshot.reset();
  snapshot_acked = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = State::kReplicate;
  next = match + 1;
  probe_sent = false;
  inflights.Reset();
}

void Progress::BecomeSnapshot(std::shared_ptr<const Snapshot> snap) {
  state = State::kSnapshot;
  snapshot_index = snap->meta.index;
  snapshot = std::move(snap);
  snapshot_acked = 0;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(Index index) {
  bool updated = false;
  if (match < index) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::MaybeDecrease(Index rejected, Index hint) {
  if (state == State::kReplicate) {
    // Only a rejection of something past the match point is news; older
    // ones are answers to appends the pipeline already moved past.
    if (rejected <= match) return false;
    BecomeProbe();
    next = std::max(std::min(rejected, hint + 1), match + 1);
    return true;
  }
  // Probing: only the answer to the outstanding probe counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, hint + 1), Index{1});
  next = std::max(next, match + 1);
  probe_sent = false;
  return true;
}

bool Progress::Paused() const {
  switch (state) {
    case State::kProbe:
      return probe_sent;
    case State::kReplicate:
      return inflights.Full();
    case State::kSnapshot:
      return true;
  }
  return true;
}

void Progress::SentEntries(Index last, uint64_t bytes) {
  if (state == State::kReplicate) {
    next = last + 1;
    inflights.Add(last, bytes);
  } else if (state == State::kProbe) {
    probe_sent = true;
  }
}

std::string Progress::ToString() const {
  const char* s = state == State::kProbe       ? "probe"
                  : state == State::kReplicate ? "replicate"
                                               : "snapshot";
  return std::string(s) + " match=" + std::to_string(match) + " next=" + std::to_string(next) +
         " inflight=" + std::to_string(inflights.count());
}

}  // namespace cairn::raft
