#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "cairn/membership.pb.h"
#include "cairn/raft_request.pb.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "etcd/mvccpb/kv.pb.h"
#include "kv/alarms.h"
#include "kv/latest_cache.h"
#include "kv/validate.h"
#include "storage/state_engine.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

// The replicated state machine of one consensus group: an MVCC key-value
// store with etcd v3.4's semantics, on the group's StateEngine (RocksDB).
namespace cairn::kv {

struct MvccOptions {
  storage::StateEngineOptions engine;
  // Per txn level, as etcd's --max-txn-ops. Enforced before proposing
  // (ValidateRaftRequest); applying committed entries does not recheck it.
  int max_txn_ops = kDefaultMaxTxnOps;
  // Where each applied batch's commit to the engine is timed (etcd's
  // etcd_disk_backend_commit_duration_seconds); null: not measured.
  metrics::Histogram* commit_seconds = nullptr;
};

// What applying one entry produced; monostate for an entry without a
// request (a no-op).
// The last two are never applied: they answer leader queries (lease
// keep-alive and time-to-live are the leader's, since only it keeps time),
// which travel from a follower to the leader like a forwarded write.
using ApplyResponse =
    std::variant<std::monostate, etcdserverpb::PutResponse, etcdserverpb::DeleteRangeResponse,
                 etcdserverpb::TxnResponse, etcdserverpb::CompactionResponse,
                 etcdserverpb::AlarmResponse, etcdserverpb::LeaseGrantResponse,
                 etcdserverpb::LeaseRevokeResponse, etcdserverpb::LeaseKeepAliveResponse,
                 etcdserverpb::LeaseTimeToLiveResponse>;

struct ApplyResult {
  // The request's outcome, as etcd reports it to the client. Deterministic:
  // every replica gets the same, and a failed request changes nothing.
  Status status;
  ApplyResponse response;  // set when status is ok
};

// A committed log entry to apply.
struct LogEntry {
  uint64_t index = 0;
  uint64_t term = 0;
  // The revision a write in this entry takes. Revisions are opaque: each
  // entry's must exceed the store's current revision, nothing more (a
  // revision not consumed by its entry is simply never seen).
  int64_t revision = 0;
  // nullptr for an entry with no effect on the store (a leader's no-op, a
  // membership change): it only advances the applied index.
  const cairnpb::RaftRequest* request = nullptr;
};

// Threading: one thread applies (Apply, ApplyBatch, CreateSnapshot,
// RestoreSnapshot, Sync); any number of threads may read (Range, Changes,
// Digest and the accessors) at the same time. Reads see the state after
// some whole batch, never part of one.
class MvccStore {
 public:
  static Result<std::unique_ptr<MvccStore>> Open(const std::string& group_dir,
                                                 const MvccOptions& options = {});
  ~MvccStore();

  uint64_t applied_index() const;
  uint64_t applied_term() const;
  // Revision of the last write (0 before any).
  int64_t current_revision() const;
  // Reads below this revision fail as compacted (0 before any compaction).
  int64_t compacted_revision() const;
  // Keys that exist (not deleted) at the current revision.
  int64_t key_count() const;

  // Applies one committed entry. The outer Result fails only when the store
  // cannot go on (RocksDB failed; or the caller broke the contract: index
  // not above applied_index, term going back, revision not above
  // current_revision); then nothing was applied. A request that fails as
  // etcd would is an ok Result whose status says why.
  Result<ApplyResult> Apply(const cairnpb::RaftRequest& request, uint64_t index, uint64_t term,
                            int64_t revision);
  // Applies entries in order in ONE RocksDB write batch, committed with the
  // last entry's index and term: each entry sees the ones before it, and a
  // crash keeps all of them or none. Same results as one Apply per entry.
  Result<std::vector<ApplyResult>> ApplyBatch(std::span<const LogEntry> entries);

  // etcd's Range on the last applied state (serving a linearizable read is
  // the caller's business: ReadIndex, then wait for applied_index).
  Result<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request) const;

  // The cluster's members as of the last applied entry (kv/members.h).
  Result<cairnpb::MemberTable> Members() const;

  // Changes with revision >= from_revision in (revision, sub-index) order,
  // at most max_events of them; what a watch replays. A PUT event carries
  // the full KeyValue; a DELETE the key with mod_revision set. from_revision
  // below the compacted revision is the compacted error.
  Result<std::vector<mvccpb::Event>> Changes(int64_t from_revision, size_t max_events) const;

  // CRC32C over the store's logical contents at `revision` (0: current):
  // every version that reads at or after the compacted revision can see,
  // the change log, the compacted revision, and (at the current revision)
  // the latest-version index. Equal stores have equal
  // digests whatever their RocksDB layout (etcd's HashKV, for tests and
  // Maintenance.Hash). Compacted/future revisions fail as in Range.
  Result<uint32_t> Digest(int64_t revision = 0) const;

  // Leases as committed: (id, granted TTL) in id order, and the keys
  // attached to one (an unknown lease has none).
  struct Lease {
    int64_t id = 0;
    int64_t ttl = 0;
  };
  Result<std::vector<Lease>> Leases() const;
  Result<std::vector<std::string>> LeaseKeys(int64_t id) const;
  // Changes whenever a batch grants or revokes a lease or a snapshot is
  // restored: a cheap test for "Leases() may differ from last time".
  uint64_t lease_generation() const { return lease_generation_.load(std::memory_order_acquire); }
  // The alarms raised (kv/alarms.h) as of the last applied batch.
  Result<Alarms> RaisedAlarms() const;
  // Compacts the whole database (etcd's defragment): what compactions and
  // deletes freed leaves the disk. Any thread; writes and reads go on.
  Status Defragment();

  // For restoring a snapshot into a new cluster (etcd's restore rewrites
  // membership too): replaces the member table, committed as one more
  // applied entry (applied index + 1, same term), so that every member
  // restored from the same file ends at the same point.
  Status ReplaceMemberTable(const cairnpb::MemberTable& table);

  // Snapshots of the whole store for InstallSnapshot; see StateEngine.
  Result<storage::SnapshotManifest> CreateSnapshot(const std::string& out_dir);
  // Waits for readers to finish, swaps the snapshot in, reloads.
  Status RestoreSnapshot(const std::string& snapshot_dir);
  Status Sync();

  MvccStore(const MvccStore&) = delete;
  MvccStore& operator=(const MvccStore&) = delete;

 private:
  // What readers see; replaced as a whole when a batch commits.
  struct Published {
    int64_t current = 0;
    int64_t compacted = 0;
    uint64_t applied_index = 0;
    uint64_t applied_term = 0;
    int64_t keys = 0;  // live keys
  };
  class ReadSnapshot;

  MvccStore(std::unique_ptr<storage::StateEngine> engine, MvccOptions options);
  Status LoadPublished();
  Published published() const;
  Result<ApplyResult> ApplyOne(const LogEntry& entry, class BatchReader* reader,
                               rocksdb::WriteBatchWithIndex* batch, Published* state,
                               bool* leases_changed);

  // The apply thread's own knowledge of the store (see LatestCache); a
  // batch that does not commit as built empties both.
  void ForgetWriterCaches();

  MvccOptions options_;
  std::unique_ptr<storage::StateEngine> engine_;
  LatestCache latest_cache_;
  std::optional<Alarms> alarms_cache_;
  // Held shared by every read for its whole length, exclusively by
  // RestoreSnapshot (which closes the database under them).
  mutable std::shared_mutex db_mu_;
  // Makes a commit and the revisions it publishes one step for readers.
  mutable std::mutex publish_mu_;
  Published pub_;  // guarded by publish_mu_
  std::atomic<uint64_t> lease_generation_{0};
};

}  // namespace cairn::kv
