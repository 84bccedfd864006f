#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "consensus/raft/conf_change.h"
#include "consensus/raft/config.h"
#include "consensus/raft/progress.h"
#include "consensus/raft/quorum.h"
#include "consensus/raft/raft_log.h"
#include "consensus/raft/types.h"

namespace cairn::raft {

// Where a proposal landed. It took effect iff the entry committed at `index`
// has this `term`; any other term there means it was dropped.
struct ProposalId {
  Term term = 0;
  Index index = 0;
};

// Everything the core wants done since the last Advance(). The node must, in
// order: send `messages` (any time, even before persisting); durably persist
// `snapshot`, `hard_state` and `entries` (an entry at index i replaces any
// persisted entry at i or later); then send `persisted_messages`, install
// `snapshot` into the state machine and apply `committed_entries`; then call
// Advance(). A Ready with nothing to persist lets persisted_messages go at once.
// Step, Tick and the proposal calls may be made while a Ready is being
// handled (between GetReady and Advance); GetReady may not be called again
// until Advance.
struct Ready {
  std::optional<HardState> hard_state;
  std::vector<Entry> entries;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> committed_entries;
  std::vector<Message> messages;
  std::vector<Message> persisted_messages;
  std::vector<ReadState> read_states;
  // Reads that will never be answered (leadership was lost): retry elsewhere.
  std::vector<uint64_t> dropped_reads;

  bool MustPersist() const { return hard_state || !entries.empty() || snapshot; }
};

// What a node recovered from disk (or is bootstrapped with).
struct InitialState {
  HardState hard_state;
  // The latest snapshot; its data is kept to send to lagging followers.
  Snapshot snapshot;
  // Persisted entries after the snapshot, in order.
  std::vector<Entry> entries;
  // Membership of a brand-new cluster; ignored when a snapshot exists.
  ConfState conf;
  // How far the state machine has already applied (at least the snapshot).
  Index applied = 0;
};

// The Raft protocol for one group, free of I/O: it reads no clock, file,
// socket or global, and uses only the Random it is given. Single-threaded.
class Raft {
 public:
  Raft(const Config& config, Random* random, InitialState initial);

  // Feeds a message from a peer. Messages for other nodes or from older terms
  // are answered or dropped as the protocol requires; never an error for bad
  // timing, only for a malformed message.
  Status Step(const Message& m);
  // Advances logical time by one tick.
  void Tick();

  // Appends a command; the caller learns the outcome from committed entries.
  // Fails at once (never hangs) when this node cannot accept proposals.
  Result<ProposalId> Propose(std::string data);
  Result<ProposalId> ProposeConfChange(const ConfChange& cc);
  // Asks for a linearizable read point; answered through Ready::read_states
  // (or Ready::dropped_reads). Forwarded to the leader from a follower.
  Status ReadIndex(uint64_t context);
  Status TransferLeadership(NodeId target);

  bool HasReady() const;
  Ready GetReady();
  // The last Ready has been handled as its comment describes.
  void Advance();

  // The state machine has captured its state at `index` (<= applied) in
  // `data`; the log before it is dropped and lagging followers get `data`.
  Status CreateSnapshot(Index index, std::string data);

  // Introspection (for the node, metrics and the simulator's invariants).
  NodeId id() const { return cfg_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return leader_; }
  Index commit() const { return commit_; }
  Index applied() const { return applied_; }
  const RaftLog& log() const { return log_; }
  const ConfState& conf() const { return conf_; }
  // The index of the entry (or snapshot) that produced conf().
  Index conf_index() const { return conf_history_.back().first; }
  const std::map<NodeId, Progress>& progress() const { return prs_; }
  const Snapshot& snapshot() const { return *snapshot_; }
  NodeId transferee() const { return transferee_; }
  bool Promotable() const { return quorum_.IsVoter(cfg_.id); }
  bool LeaseValid() const;
  uint64_t ticks() const { return ticks_; }
  std::string Describe() const;

 private:
  enum class CampaignKind { kPreVote, kElection, kTransfer };
  struct PendingRead {
    uint64_t context;
    NodeId from;
    Index index;
    uint64_t round;  // 0 until a heartbeat round is started for it
  };

  void BecomeFollower(Term term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Campaign(CampaignKind kind);
  std::vector<Quorum> ElectionQuorums() const;
  VoteResult TallyElection() const;
  void ResetTerm(Term term);
  void ResetElectionTimer();
  // Heard from a leader (or led) within the last election timeout; a node
  // counts as having heard from one when it starts, since it may have
  // acknowledged a leader just before it restarted.
  bool InLease() const;

  void StepLeader(const Message& m);
  void StepCandidate(const Message& m);
  void StepFollower(const Message& m);
  void HandleVoteRequest(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshotChunk(const Message& m);
  void HandleAppendResponse(const Message& m, Progress& pr);
  void HandleHeartbeatResponse(const Message& m, Progress& pr);
  void HandleSnapshotResponse(const Message& m, Progress& pr);

  void Send(Message m);
  bool SendAppend(NodeId to, bool send_if_empty);
  void SendAppendsWhilePossible(NodeId to);
  void SendSnapshotChunk(NodeId to);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void SendTimeoutNow(NodeId to);

  bool MaybeCommit();
  void AdvanceCommit(Index index);
  void ApplyConfEntry(const Entry& entry);
  void SetConf(const ConfState& conf);
  ConfState ConfAt(Index index) const;
  bool RestoreSnapshot(const Snapshot& snapshot);
  bool CommittedInCurrentTerm() const;
  void AppendLeaderEntry(EntryType type, std::string data);
  void AbortTransfer();

  void HandleReadRequest(uint64_t context, NodeId from);
  void AnswerRead(const PendingRead& read);
  void MaybeStartReadRound();
  void ConfirmReadRounds();
  void DropPendingReads();
  void DropForwardedReads();

  HardState CurrentHardState() const;

  Config cfg_;
  Random* random_;

  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  RaftLog log_;
  Index commit_ = 0;
  Index applied_ = 0;

  ConfState conf_;
  Quorum quorum_;
  std::map<NodeId, Progress> prs_;
  // Membership after each configuration entry since the snapshot, so that a
  // snapshot at any applied index records the membership in force there.
  std::vector<std::pair<Index, ConfState>> conf_history_;
  Index pending_conf_index_ = 0;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_ticks_ = 0;
  // Ticks since this incarnation started; dates leases and guards votes
  // right after a restart (a restarted node may have acknowledged a leader
  // whose lease it no longer remembers).
  uint64_t ticks_ = 0;
  // ticks_ when leader traffic was last accepted (or sent, as leader). Not
  // reset by term changes: a newer term does not release our promise to the
  // leader we acknowledged.
  uint64_t last_leader_contact_ = 0;
  std::map<NodeId, bool> votes_;

  NodeId transferee_ = kNoNode;
  bool lease_revoked_ = false;
  uint64_t uncommitted_bytes_ = 0;

  std::deque<PendingRead> reads_;
  std::vector<PendingRead> reads_waiting_commit_;
  // Reads this follower forwarded, by context, and the leader they went to.
  std::map<uint64_t, NodeId> forwarded_reads_;
  uint64_t read_round_ = 0;
  uint64_t confirmed_read_round_ = 0;
  // The current round's heartbeats are still waiting for GetReady.
  bool read_round_unsent_ = false;

  // The latest snapshot; shared with transfers in progress, which keep the
  // one they started with.
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<Snapshot> pending_install_;
  SnapshotMeta incoming_meta_;
  std::string incoming_data_;

  std::vector<Message> msgs_;
  std::vector<Message> msgs_after_persist_;
  std::vector<ReadState> read_states_;
  std::vector<uint64_t> dropped_reads_;
  bool needs_broadcast_ = false;

  HardState persisted_hs_;
  bool ready_outstanding_ = false;
  std::optional<Entry> ready_last_entry_;
  Index ready_last_committed_ = 0;
  Index ready_snapshot_index_ = 0;
  // The term the last Ready makes durable, and the term known durable.
  Term ready_term_ = 0;
  Term durable_term_ = 0;
};

}  // namespace cairn::raft
