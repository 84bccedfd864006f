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
#include <vector>

#include "base/status.h"
#include "consensus/raft/types.h"
#include "storage/entry_cache.h"
#include "storage/file.h"
#include "storage/log_index.h"
#include "storage/wal_recovery.h"

namespace cairn::metrics {
class Histogram;
}

namespace cairn::storage {

struct WalOptions {
  // Segments are preallocated at this size; a batch larger than the rest of
  // a segment starts a new one (a batch never spans two segments).
  uint64_t segment_bytes = 64u << 20;
  // Recent entries kept in memory for followers, across all groups.
  size_t cache_bytes = 64u << 20;
  // Bytes submitted but not yet durable. Past it, Submit fails with
  // kResourceExhausted so memory stays bounded under overload.
  size_t max_pending_bytes = 64u << 20;
  // While the disk is full, how often to try again to allocate a segment.
  uint32_t no_space_retry_ms = 200;
  // Run the `done` callbacks on the WAL thread itself, right after the sync,
  // instead of on the notifier thread. For callers whose callbacks only hand
  // a notice on (a replica posting "persisted" to its loop): one thread
  // wake-up less per batch on the write path. Callers that block in their
  // callbacks keep the default, so that waking them overlaps the next write.
  bool callbacks_on_wal_thread = false;
  // Observed after each batch when set (the server's /metrics): seconds in
  // fdatasync, and records per batch.
  metrics::Histogram* fsync_seconds = nullptr;
  // A sync that takes longer is logged as slow (etcd warns at 1 s).
  std::chrono::milliseconds slow_sync{1000};
  metrics::Histogram* batch_records = nullptr;
  // UNSAFE, a planted bug for tests only (cairn --unsafe-planted-bug
  // ack-before-fsync; wal_ack_before_sync.cc). When non-zero, every
  // submission is reported durable at once, before a byte of it is written,
  // and what was submitted is written and synced only this often (or sooner
  // after SyncSoon). A kill -9 loses everything acknowledged since the last
  // write. Zero (the default) is the real WAL.
  std::chrono::milliseconds unsafe_ack_before_sync{0};
};

// What one consensus group asks to persist in one Ready, applied in this
// order: snapshot point, entries, hard state.
struct GroupWrite {
  uint64_t group = 0;
  std::optional<raft::SnapshotMeta> snapshot;
  std::vector<raft::Entry> entries;  // consecutive indexes
  std::optional<raft::HardState> hard_state;

  size_t ByteSize() const;
};

struct WalStats {
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t syncs = 0;
  uint64_t sync_nanos = 0;  // total time in fdatasync
  uint64_t max_batch_records = 0;
  uint64_t segments_created = 0;
  uint64_t segments_deleted = 0;
};

// The write-ahead log of a node, shared by every consensus group on it.
//
// Submit() queues writes from any thread; a single WAL thread takes whatever
// has queued up, writes it as one batch and makes it durable with one
// fdatasync (group commit). A second thread then calls each `done` in
// submission order while the WAL thread goes on with the next batch.
//
// A failed write or fdatasync is final: the page cache may have dropped the
// data, so retrying could acknowledge something that is not on disk. From
// then on every submission fails with that error, and only a restart (which
// recovers from what is really on disk) brings the log back. A full disk is
// different: it is detected when a segment is preallocated, before anything
// is written, so the WAL waits for space and carries on.
class Wal {
 public:
  using Done = std::function<void(Status)>;

  // Recovers from `dir` (created if missing) and starts the WAL thread.
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir, WalOptions options = {},
                                           FileSystem* fs = DefaultFileSystem());
  ~Wal();  // finishes what was submitted, then stops
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // `done` runs on the WAL's notifier thread (or the WAL thread, see
  // WalOptions::callbacks_on_wal_thread) once the writes are durable, or
  // with the error that means they never will be acknowledged; in submission
  // order, except that a submission refused outright (WAL failed or closed,
  // too much pending) is answered at once, on the caller's thread.
  void Submit(std::vector<GroupWrite> writes, Done done);
  // Submit and wait.
  Status Write(std::vector<GroupWrite> writes);

  // The planted ack-before-fsync bug is on (WalOptions::unsafe_ack_before_sync):
  // `done` says nothing about the disk, and only Groups(), Group() and
  // Term() tell what is really there.
  bool acks_before_sync() const { return options_.unsafe_ack_before_sync.count() > 0; }
  // With the planted bug, writes what is held at the next chance instead of
  // at the end of the period; otherwise does nothing (nothing is held).
  void SyncSoon();

  // The groups' state as of the last durable batch.
  struct GroupState {
    raft::SnapshotMeta snapshot;
    raft::HardState hard_state;
    raft::Index first_index = 1;
    raft::Index last_index = 0;
  };
  std::map<uint64_t, GroupState> Groups() const;
  std::optional<GroupState> Group(uint64_t group) const;

  // Entries [lo, hi) of `group`, stopping early once `max_bytes` is exceeded
  // (always at least one entry). Served from the cache where possible, from
  // disk otherwise; every record read from disk is checksummed again.
  Result<std::vector<raft::Entry>> Entries(uint64_t group, raft::Index lo, raft::Index hi,
                                           size_t max_bytes = SIZE_MAX) const;
  std::optional<raft::Term> Term(uint64_t group, raft::Index index) const;

  // OK, or the error that stopped the WAL.
  Status health() const;
  // Non-empty while waiting for disk space.
  std::string waiting_for_space() const;
  WalStats stats() const;
  const std::string& recovery_note() const { return recovery_note_; }
  size_t segment_count() const;

 private:
  struct Request {
    std::vector<GroupWrite> writes;
    Done done;
    size_t bytes = 0;
    Status result;  // what `done` will be told
  };

  Wal(std::string dir, WalOptions options, FileSystem* fs, RecoveredWal recovered);
  void Run();
  // Run() with the planted bug: acknowledge first, write later
  // (wal_ack_before_sync.cc).
  void RunAckingBeforeSync();
  // Writes and syncs one batch; the error is final unless it is kNoSpace.
  Status WriteBatch(std::vector<Request>& batch);
  Status StartSegment(uint64_t needed, std::string* prefix);
  void DeleteCoveredSegments();
  // Callbacks run on their own thread, in order, so that waking the callers
  // of one batch overlaps the write and fdatasync of the next.
  void Notify(std::vector<Request> done);
  void RunNotifier();
  // Makes the error final and fails `batch` and everything queued behind it.
  void Fail(const Status& status, std::vector<Request> batch);

  const std::string dir_;
  const WalOptions options_;
  FileSystem* const fs_;
  std::string recovery_note_;

  // Guards everything below it.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  bool sync_soon_ = false;  // planted bug only: SyncSoon was called
  Status failed_;
  std::string no_space_;
  GroupLogs groups_;
  std::vector<SegmentInfo> segments_;  // oldest first; the last is active
  EntryCache cache_;
  mutable std::map<uint64_t, std::shared_ptr<ReadableFile>> readers_;
  WalStats stats_;

  // Owned by the WAL thread.
  std::unique_ptr<WritableFile> active_;
  uint64_t active_offset_ = 0;
  uint64_t next_batch_ = 1;
  uint64_t next_segment_ = 1;

  std::thread thread_;

  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  std::deque<Request> notify_queue_;
  bool notify_stop_ = false;
  std::thread notifier_;
};

}  // namespace cairn::storage
