#pragma once

#include <cstdint>
#include <string>

#include "consensus/raft/config.h"

namespace cairn::sim {

struct SimOptions {
  uint64_t seed = 0;
  // Initial voters: 3 or 5; 0 lets the seed choose.
  int voters = 0;
  raft::PlantedBug bug = raft::PlantedBug::kNone;
  // Simulated time with faults injected, then the faults heal.
  int64_t fault_phase_us = 10'000'000;
  // After healing, a new write must commit within this much simulated time.
  int64_t liveness_bound_us = 15'000'000;
  // How many trailing events a failure report shows.
  int trace_tail = 40;
  bool verbose = false;
};

// Timing and sizing drawn per seed, so that every seed also explores a
// different configuration.
struct Knobs {
  int voters = 3;
  int spares = 1;
  int64_t tick_us = 10'000;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  int max_inflight_msgs = 64;
  uint64_t max_inflight_bytes = 0;
  uint64_t max_msg_bytes = 0;
  uint64_t max_snapshot_chunk_bytes = 0;
  uint64_t snapshot_every = 0;
  uint64_t compaction_keep_entries = 0;
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_reads = false;
  int lease_drift_ticks = 2;
  bool reads_through_log = false;
  double max_clock_skew = 0;
  int64_t latency_min_us = 0;
  int64_t latency_max_us = 0;
  double loss = 0;
  double duplicate = 0;
  int64_t fsync_max_us = 0;
  int clients = 4;
  int keys = 5;
  int64_t fault_every_us = 0;
  // Chance that a new leader is crashed moments after its election, leaving
  // entries of its term on few nodes (the raw material of Raft's Figure 8).
  double kill_new_leader = 0;
  // Chance that a new leader is cut off before its first appends leave.
  double isolate_new_leader = 0;

  std::string ToString() const;
};

struct SimResult {
  bool ok = true;
  std::string property;  // the violated property, when !ok
  std::string detail;
  std::string trace_tail;
  uint64_t trace_hash = 0;
  uint64_t events = 0;
  int64_t simulated_us = 0;
  uint64_t operations = 0;
  uint64_t acked_writes = 0;
  uint64_t leader_changes = 0;
  uint64_t crashes = 0;
  uint64_t snapshots_sent = 0;
  uint64_t conf_changes = 0;
  Knobs knobs;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace cairn::sim
