#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "cairn/raft_request.pb.h"
#include "cluster/replica_snapshot.h"
#include "cluster/slow_requests.h"
#include "consensus/raft/raft.h"
#include "kv/mvcc_store.h"
#include "storage/wal.h"

namespace cairn::cluster {

// Carries a group's Raft messages to other nodes. May drop or delay them;
// Raft retries what matters.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(uint64_t group, std::vector<raft::Message> messages) = 0;
};

// What the leader knows about its peers when a membership change is asked
// for (ReplicaOptions::check_membership).
struct PeerStatus {
  raft::Index match = 0;  // the leader's own entry: its last durable index
  bool learner = false;
  // Heard from within the last two election timeouts (the leader itself
  // always is).
  bool active = false;
};
struct MembershipView {
  raft::NodeId leader = raft::kNoNode;
  std::map<raft::NodeId, PeerStatus> peers;  // every voter and learner
  cairnpb::MemberTable table;                // as applied (it holds every committed change)
};

struct ReplicaOptions {
  uint64_t group = 1;
  raft::NodeId id = raft::kNoNode;
  // Voters of a brand-new cluster; ignored once the WAL has state.
  std::vector<raft::NodeId> initial_voters;
  // A brand-new cluster's membership as configuration changes, written as
  // the first log entries (term 1, committed), as etcd bootstraps: members
  // that join later replay them like any other entry. Takes the place of
  // initial_voters; ignored once the WAL has state. A member joining an
  // existing cluster gives neither and learns everything from the leader.
  std::vector<raft::ConfChange> bootstrap;
  // Run on the leader's loop thread before a membership change
  // (RaftRequest.membership) is proposed; an error refuses it (answered as
  // an ok Result whose ApplyResult::status is the error, like a change the
  // state machine refused).
  std::function<Status(const cairnpb::RaftRequest&, const MembershipView&)> check_membership;
  // Called on the apply thread after a batch that changed the member table
  // (kv/members.h) was applied, and after a snapshot was installed, with
  // the replica's store (which the callee must not keep).
  std::function<void(const kv::MvccStore& store)> on_members_changed;
  // The group's state-machine directory.
  std::string state_dir;
  // Writes and linearizable reads slower than this are logged with where
  // their time went (etcd's --experimental-warning-apply-duration).
  std::chrono::milliseconds slow_request{100};
  // Times the store's commits (null: not measured).
  metrics::Histogram* backend_commit_seconds = nullptr;
  std::chrono::milliseconds tick{100};
  int election_ticks = 10;
  // Proposals waiting for their entry to apply, and reads waiting for
  // their barrier (each bounded on its own); past it, they are refused with
  // kResourceExhausted ("etcdserver: too many requests") instead of queueing
  // without bound.
  size_t max_pending = 100000;
  // Applied entries between snapshots of the state machine (etcd's
  // --snapshot-count); each lets the Raft log and the WAL drop what it
  // covers. 0: never.
  uint64_t snapshot_count = 100000;
  // Entries kept in the log behind a snapshot, for followers slightly behind.
  uint64_t compaction_keep_entries = 5000;
  uint64_t seed = 1;
  // How long a proposal or read may wait before it fails with
  // "etcdserver: request timed out" (0: etcd's 5 s plus two election
  // timeouts). The write may still happen after that: its outcome is unknown.
  std::chrono::milliseconds request_timeout{0};
  // Called on the apply thread after each applied batch or installed
  // snapshot, with the store's current revision (watches). Must not block.
  std::function<void(int64_t revision)> on_applied;
};

// One consensus group on this node: the Raft core stepped by a loop thread,
// its log made durable through the node's shared WAL, its committed entries
// applied to the MVCC store by an apply thread.
//
// Revisions are the log index of the entry that writes them: deterministic
// on every replica and strictly increasing, though not consecutive (entries
// that write nothing consume an index but no revision).
class Replica {
 public:
  using ProposeDone = std::function<void(Result<kv::ApplyResult>)>;
  using ReadDone = std::function<void(Status)>;

  static Result<std::unique_ptr<Replica>> Open(ReplicaOptions options, storage::Wal* wal,
                                               Transport* transport);
  ~Replica();
  // Stops the threads and fails what is pending ("server stopped"), calling
  // those callbacks on this thread; afterwards every call is refused, but
  // the object (its store) stays usable until destroyed. Idempotent.
  void Stop();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Thread-safe. Messages for this group from peers.
  void Receive(std::vector<raft::Message> messages);
  // Thread-safe. `done` gets the applied result, or an error at once when
  // this replica cannot take proposals. A membership change
  // (request.membership) goes through Raft as a configuration change
  // carrying the request; while another change is in flight it waits (up to
  // the request timeout) for its turn (not the leader: kFailedPrecondition
  // naming the leader; no leader: kUnavailable), or when the entry was lost
  // to a leader change.
  void Propose(const cairnpb::RaftRequest& request, ProposeDone done);
  // Thread-safe. `done` runs once this replica's state machine has applied
  // everything committed when the read was asked: from then on a local read
  // is linearizable.
  void ReadBarrier(ReadDone done);
  // Thread-safe. When this replica leads, asks the most up-to-date voter to
  // take over (Raft's leadership transfer), so that stopping this member
  // costs clients a moment instead of an election timeout; then waits up to
  // `timeout` for another member to lead. True if one does (or this one did
  // not lead).
  bool HandOverLeadership(std::chrono::milliseconds timeout);
  // Thread-safe. Starts Raft's leadership transfer to `target` on the loop
  // thread; `started` gets kFailedPrecondition when this replica does not
  // lead, kInvalidArgument when the target is not a voter, otherwise ok
  // (the transfer is under way, or target already leads). Watch info() to
  // see it finish.
  void TransferLeadership(raft::NodeId target, std::function<void(Status)> started);
  // Thread-safe. Runs `fn` on the apply thread between two applied batches:
  // the store holds still while it runs (a consistent snapshot for
  // Maintenance.Snapshot). Not run if the replica stops first.
  void RunOnApplyThread(std::function<void(kv::MvccStore&)> fn);

  kv::MvccStore& store() { return *store_; }

  struct Info {
    raft::Role role = raft::Role::kFollower;
    raft::Term term = 0;
    raft::NodeId leader = raft::kNoNode;
    raft::Index commit = 0;
    raft::Index applied = 0;
    // Times this member saw a leader it had not seen just before (etcd's
    // leader_changes_seen: the first leader counts).
    uint64_t leader_changes = 0;
    // Proposals handed to consensus and not yet answered.
    uint64_t pending = 0;
  };
  Info info() const;
  // OK, or why the state machine could not apply committed entries (a disk
  // error in its commit): the replica then applies and acknowledges nothing
  // more, and only a restart, recovering from disk, brings it back.
  Status storage_failure() const;

  // Counts since start, for metrics: read from any thread.
  struct Counters {
    // Proposals answered with a failure: timed out, lost to a leader
    // change or a snapshot, or failed with the replica.
    std::atomic<uint64_t> proposals_failed{0};
    std::atomic<uint64_t> read_index_rounds{0};  // one serves every read queued with it
    std::atomic<uint64_t> snapshots_sent{0};     // complete transfers to followers
    std::atomic<uint64_t> snapshot_sent_bytes{0};
    std::atomic<uint64_t> snapshots_received{0};
    std::atomic<uint64_t> snapshot_received_bytes{0};
    std::atomic<uint64_t> snapshots_saved{0};  // taken of this member's own store
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Persisted {};
  struct HandOver {};
  struct TransferTo {
    raft::NodeId target;
    std::function<void(Status)> started;
  };
  struct NewSnapshot {
    raft::Index index;
    std::string data;
  };
  struct NewProposal {
    std::string data;
    ProposeDone done;
    bool membership = false;  // data is a RaftRequest with a MembershipChange
    std::chrono::steady_clock::time_point deadline{};
  };
  struct NewRead {
    ReadDone done;
  };
  using Event = std::variant<std::vector<raft::Message>, NewProposal, NewRead, Persisted,
                             NewSnapshot, HandOver, TransferTo>;
  // What the apply thread works through, in order: committed entries, and
  // snapshots received from the leader (already durable as paths_.Pending(index)).
  // And work asked with RunOnApplyThread.
  using ApplyTask = std::function<void(kv::MvccStore&)>;
  using ApplyItem = std::variant<std::vector<raft::Entry>, raft::SnapshotMeta, ApplyTask>;
  struct Pending {
    raft::Term term;
    ProposeDone done;
    std::chrono::steady_clock::time_point deadline;
  };
  struct WaitingRead {
    raft::Index index;
    ReadDone done;
    // When the round started and when the leader confirmed it (slow reads).
    std::chrono::steady_clock::time_point started{}, confirmed{};
  };

  Replica(ReplicaOptions options, storage::Wal* wal, Transport* transport);
  Status Start();
  void Post(Event event);
  void Loop();
  void Handle(Event& event);
  void HandleReady();
  void FinishReady();
  void ApplyLoop();
  void ApplyEntries(std::vector<raft::Entry> entries);
  void InstallSnapshot(const raft::SnapshotMeta& meta);
  void MaybeSnapshot();
  // Only under the planted ack-before-fsync bug (Wal::acks_before_sync),
  // before the store is made durable up to `index` (a checkpoint, an
  // installed snapshot): has the WAL write what it holds and waits until it
  // really holds `index` at `term`, so that the store never gets ahead of
  // the log on disk. False if the replica stops first.
  bool WaitUntilOnDisk(raft::Index index, raft::Term term);
  void FailEverything(const Status& status);
  // Fails proposals whose deadline passed (never answered: the entry was
  // lost with a leader that could not commit it, or the cluster has no
  // quorum).
  void ExpireProposals();
  // Loop thread: proposes a membership change, or keeps it in conf_waiting_
  // while another one is in flight.
  void ProposeMembership(NewProposal proposal);
  void RetryMembership();
  MembershipView View() const;
  void BootstrapLog(raft::InitialState* init);

  const ReplicaOptions options_;
  const SnapshotPaths paths_;
  const std::chrono::steady_clock::duration request_timeout_;
  storage::Wal* const wal_;
  Transport* const transport_;
  std::unique_ptr<kv::MvccStore> store_;
  SeededRandom random_;
  std::unique_ptr<raft::Raft> raft_;  // loop thread only

  mutable std::mutex mu_;  // guards the queues and maps below
  std::condition_variable cv_;
  std::deque<Event> inbox_;
  bool stopping_ = false;
  bool stopped_ = false;  // Stop ran (or is running)
  std::map<raft::Index, Pending> pending_;
  size_t pending_count_ = 0;
  size_t reads_outstanding_ = 0;        // asked for and not answered yet
  std::map<uint64_t, ReadDone> reads_;  // by ReadIndex context, until answered
  std::vector<WaitingRead> waiting_reads_;
  raft::Index applied_ = 0;
  Info info_;
  Counters counters_;
  // Apart, so that a flood of slow writes does not hide slow reads.
  SlowRequests slow_writes_;
  SlowRequests slow_reads_;
  // ReadIndex rounds in flight: when each started (mu_), for slow reads.
  std::map<uint64_t, std::chrono::steady_clock::time_point> read_started_;
  // Answers the reads `waiting` released at `now` and reports slow ones.
  void ReleaseReads(std::vector<WaitingRead> waiting, const char* how);
  // Snapshot transfers under way (loop thread): bytes sent so far and when
  // the first chunk went, for the progress log lines.
  struct Transfer {
    uint64_t bytes = 0;
    std::chrono::steady_clock::time_point started, last_logged;
  };
  std::map<std::pair<raft::NodeId, raft::Index>, Transfer> transfers_;
  void NoteSnapshotChunks(const std::vector<raft::Message>& messages);
  Status fatal_;  // set once the WAL failed: nothing more is acknowledged

  // Loop thread only.
  std::optional<raft::Ready> ready_;
  // The term and vote last handed to the WAL: a Ready that changes only the
  // commit index past these skips the disk (see HandleReady).
  raft::HardState written_hs_;
  uint64_t next_read_context_ = 1;
  std::deque<NewProposal> conf_waiting_;
  std::map<raft::NodeId, std::chrono::steady_clock::time_point> last_heard_;

  mutable std::mutex apply_mu_;
  std::condition_variable apply_cv_;
  std::deque<ApplyItem> apply_queue_;
  raft::Index last_snapshot_ = 0;  // apply thread only (after Start)
  bool apply_stopping_ = false;
  Status apply_failed_;  // apply_mu_; see storage_failure()

  // WAL submissions whose callback (which uses `this`) has not finished:
  // the destructor waits for them.
  std::mutex wal_mu_;
  std::condition_variable wal_cv_;
  int wal_inflight_ = 0;

  std::thread loop_;
  std::thread applier_;
};

}  // namespace cairn::cluster
