#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "storage/state_engine_snapshot.h"

namespace rocksdb {
class Cache;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace cairn::storage {

struct StateEngineOptions {
  // fsync RocksDB's log on every Commit. Off by default: the consensus WAL
  // already holds every committed entry durably, and the applied index that
  // Commit stores with the data says where to resume, so an engine that
  // loses its last commits in a machine crash re-applies them from the WAL.
  // A killed process loses nothing either way: RocksDB has written its log
  // to the OS before Commit returns. Call Sync() before letting the WAL
  // drop entries the engine covers.
  bool sync = false;
  // UNSAFE, tests only (the planted ack-before-fsync bug; see
  // WalOptions::unsafe_ack_before_sync): commits skip RocksDB's log, so a
  // killed process loses every commit since the last memtable flush, as it
  // loses the WAL's unwritten tail. Incompatible with `sync`.
  bool unsafe_no_log = false;
  size_t write_buffer_bytes = 32 << 20;
  // Shared across groups on a node so memory does not grow with the number
  // of groups; nullptr gives each instance RocksDB's default cache.
  std::shared_ptr<rocksdb::Cache> block_cache;
};

// The RocksDB instance holding one consensus group's state machine.
//
// One instance per group directory, rather than one shared by the node's
// groups, because then a group's snapshot is a plain RocksDB checkpoint of
// its own instance (hard links, no export or filtering), restoring it is a
// directory swap, and removing a group is removing its directory.
//
// Keys starting with byte 0x00 are the engine's own (the applied index and
// term); the layer above owns every other key.
//
// Threading: Commit, CreateSnapshot, RestoreSnapshot and Sync are called
// from one thread (the group's apply thread). db() may be read from any
// thread except during RestoreSnapshot, which replaces it.
class StateEngine {
 public:
  // Opens (creating if needed) the engine in `group_dir`, finishing or
  // rolling back a RestoreSnapshot that a crash interrupted.
  static Result<std::unique_ptr<StateEngine>> Open(const std::string& group_dir,
                                                   const StateEngineOptions& options = {});
  ~StateEngine();
  StateEngine(const StateEngine&) = delete;
  StateEngine& operator=(const StateEngine&) = delete;

  // The last log entry whose effects are in the database, and its term.
  uint64_t applied_index() const { return applied_index_; }
  uint64_t applied_term() const { return applied_term_; }

  rocksdb::DB* db() const { return db_.get(); }
  const std::string& group_dir() const { return group_dir_; }

  // Writes `batch` together with the new applied index and term, atomically:
  // after a crash either both are there or neither. Refuses (and writes
  // nothing) when applied_index is not above the current one or the term
  // goes backwards: either would mean applying an entry twice or out of
  // order.
  Status Commit(rocksdb::WriteBatch* batch, uint64_t applied_index, uint64_t applied_term);

  // Makes every commit so far durable against a machine crash.
  Status Sync();

  // Writes a checkpoint of the database to `out_dir` (which must not exist;
  // same filesystem for hard links, else files are copied) and a manifest
  // naming every file with its size and CRC32C, the applied index and term.
  Result<SnapshotManifest> CreateSnapshot(const std::string& out_dir) const;

  // Replaces the live database with the snapshot in `snapshot_dir`, which
  // is verified first: a corrupt snapshot gives DataLoss naming the file
  // and changes nothing. The directory is consumed (moved into place).
  // A crash at any point leaves the old or the new state, never a mix.
  Status RestoreSnapshot(const std::string& snapshot_dir);

 private:
  StateEngine(std::string group_dir, StateEngineOptions options);
  Status OpenDb();
  Status LoadApplied();
  Status SwapIn(const std::string& staged);
  Status CheckStagedApplied(const std::string& staged, const SnapshotManifest& m);

  std::string group_dir_;
  StateEngineOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  uint64_t applied_index_ = 0;
  uint64_t applied_term_ = 0;
};

// Names inside a group directory (documented in docs/OPERATIONS.md).
inline constexpr const char* kLiveDbDir = "db";
inline constexpr const char* kRestoreStagingDir = "db.new";
inline constexpr const char* kRestoreOldDir = "db.old";

// The engine's meta key: fixed64 applied index, fixed64 applied term.
inline constexpr const char kAppliedKey[] = "\0applied";
inline constexpr size_t kAppliedKeySize = sizeof(kAppliedKey) - 1;

}  // namespace cairn::storage
