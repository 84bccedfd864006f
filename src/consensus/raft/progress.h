#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "consensus/raft/types.h"

namespace cairn::raft {

// Appends sent to one follower and not yet acknowledged, bounded in count and
// bytes: the pipeline's flow control.
class Inflights {
 public:
  Inflights(int max_msgs, uint64_t max_bytes) : max_msgs_(max_msgs), max_bytes_(max_bytes) {}

  void Add(Index last, uint64_t bytes);
  // The follower has everything up to `index`: free what it covers.
  void FreeUpTo(Index index);
  void FreeFirstOne();
  void Reset();
  bool Full() const;
  int count() const { return static_cast<int>(q_.size()); }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Flight {
    Index last;
    uint64_t bytes;
  };
  int max_msgs_;
  uint64_t max_bytes_;
  std::deque<Flight> q_;
  uint64_t bytes_ = 0;
};

// The leader's view of one follower's log.
struct Progress {
  enum class State : uint8_t {
    kProbe,      // one append at a time until the match point is found
    kReplicate,  // pipelined appends, bounded by `inflights`
    kSnapshot,   // sending a snapshot in chunks; appends paused
  };

  Progress(Index next_index, int max_msgs, uint64_t max_bytes)
      : next(next_index), inflights(max_msgs, max_bytes) {}

  Index match = 0;
  Index next = 1;
  State state = State::kProbe;
  // In kProbe: an append is outstanding; sending waits for its answer or the
  // next heartbeat.
  bool probe_sent = false;
  Inflights inflights;

  // In kSnapshot: which snapshot is on its way and how many bytes the
  // follower has confirmed.
  Index snapshot_index = 0;
  std::shared_ptr<const Snapshot> snapshot;
  uint64_t snapshot_acked = 0;

  // Heard from since the last CheckQuorum round.
  bool recent_active = false;
  bool learner = false;

  // Latest leader tick and ReadIndex round this follower has acknowledged.
  uint64_t acked_lease_tick = 0;
  uint64_t acked_read_round = 0;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(std::shared_ptr<const Snapshot> snap);
  // A success for `index` arrived; false if it tells nothing new.
  bool MaybeUpdate(Index index);
  // A rejection of the append after `rejected`; `hint` is where the logs may
  // match. False if the rejection is stale.
  bool MaybeDecrease(Index rejected, Index hint);
  // Whether sending an append now is allowed by flow control.
  bool Paused() const;
  void SentEntries(Index last, uint64_t bytes);

  std::string ToString() const;
};

}  // namespace cairn::raft
