#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::raft {

using NodeId = uint64_t;
using Term = uint64_t;
using Index = uint64_t;

inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,
  kConfChange = 1,  // data is an encoded ConfChange (conf_change.h)
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  size_t ByteSize() const { return data.size() + 24; }
  bool operator==(const Entry&) const = default;
};

// What a node must have on disk before it answers anyone.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;
  bool operator==(const HardState&) const = default;
};

// Membership. During joint consensus `voters_outgoing` is the old voter set
// and decisions need a majority of both.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> voters_outgoing;
  std::vector<NodeId> learners;
  // Learners that become voters when the joint configuration is left.
  std::vector<NodeId> learners_next;
  bool auto_leave = false;

  bool Joint() const { return !voters_outgoing.empty(); }
  bool operator==(const ConfState&) const = default;
};

struct SnapshotMeta {
  Index index = 0;
  Term term = 0;
  ConfState conf;
  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;
  bool Empty() const { return meta.index == 0; }
};

enum class MessageType : uint8_t {
  kPreVote,
  kPreVoteResp,
  kVote,
  kVoteResp,
  kApp,
  kAppResp,
  kHeartbeat,
  kHeartbeatResp,
  kSnapshot,      // one chunk of a snapshot
  kSnapshotResp,  // acknowledges a chunk (or rejects the transfer)
  kTimeoutNow,    // leadership transfer: campaign now
  kReadIndex,     // follower forwards a read to the leader
  kReadIndexResp,
};

const char* MessageTypeName(MessageType type);

// One flat message type for every RPC keeps the transport simple: the fields
// a type does not use stay at their defaults.
struct Message {
  MessageType type = MessageType::kApp;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;

  // kApp: term and index of the entry preceding `entries`.
  // kVote/kPreVote: the candidate's last log term and index.
  // kAppResp: index acknowledged (or, when rejecting, the rejected index).
  // kReadIndexResp: the read index.
  Term log_term = 0;
  Index index = 0;
  std::vector<Entry> entries;
  Index commit = 0;

  bool reject = false;
  // kAppResp rejection: the follower's guess of where logs may match (its
  // last index, or the last index of a term it shares), and that term.
  Index reject_hint = 0;
  Term hint_term = 0;

  // kHeartbeat(Resp)/kApp(Resp): the leader's tick counter when it sent the
  // request, echoed back so that the leader can date its lease. Also the
  // ReadIndex round a heartbeat belongs to.
  uint64_t lease_tick = 0;
  uint64_t read_round = 0;
  // kReadIndex/kReadIndexResp: the caller's request context.
  uint64_t context = 0;

  // kSnapshot: one chunk of the snapshot described by `snapshot_meta`.
  SnapshotMeta snapshot_meta;
  uint64_t snapshot_offset = 0;
  std::string snapshot_chunk;
  bool snapshot_done = false;

  // kVote: leadership transfer overrides a follower's leader lease.
  bool force = false;

  size_t ByteSize() const;
};

// A linearizable read point: once the state machine has applied `index`, a
// read for `context` may be served from local state.
struct ReadState {
  uint64_t context = 0;
  Index index = 0;
  bool operator==(const ReadState&) const = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

}  // namespace cairn::raft
