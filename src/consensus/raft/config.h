#pragma once

#include <cstdint>

#include "consensus/raft/types.h"

namespace cairn::raft {

// Deliberate defects the simulator must be able to find. They exist only so
// that tests can prove the simulator has teeth; production never sets them.
enum class PlantedBug : uint8_t {
  kNone = 0,
  kForgetVote,                // the vote is not part of the persisted hard state
  kCommitPreviousTerm,        // commit an old-term entry by counting replicas
  kReadIndexNoHeartbeat,      // answer ReadIndex without confirming leadership
  kAcceptAppendWithoutMatch,  // follower skips the log-matching check
};

struct Config {
  NodeId id = kNoNode;

  // Ticks are the core's only notion of time. A follower campaigns after a
  // random timeout in [election_ticks, 2 * election_ticks).
  int election_ticks = 10;
  int heartbeat_ticks = 1;

  bool pre_vote = true;
  bool check_quorum = true;

  // Flow control per follower: appends in flight and their bytes.
  int max_inflight_msgs = 64;
  uint64_t max_inflight_bytes = 8 << 20;
  // Bytes of entries in one kApp message (at least one entry is always sent).
  uint64_t max_msg_bytes = 1 << 20;
  // Proposals are refused past this many uncommitted bytes: backpressure.
  uint64_t max_uncommitted_bytes = 64 << 20;
  uint64_t max_snapshot_chunk_bytes = 1 << 20;
  // Entries kept in the log before a new snapshot's index, for followers
  // that are only slightly behind.
  uint64_t compaction_keep_entries = 0;

  // Lease reads: the leader answers ReadIndex from its lease while a quorum
  // acknowledged it within election_ticks - lease_drift_ticks. The drift
  // allowance covers clock-rate differences between nodes.
  bool lease_reads = false;
  int lease_drift_ticks = 2;

  PlantedBug planted_bug = PlantedBug::kNone;
};

}  // namespace cairn::raft
