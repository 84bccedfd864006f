#include "storage/state_engine.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "base/coding.h"
#include "base/logging.h"
#include "storage/state_engine_fs.h"

namespace cairn::storage {
namespace {

Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::Ok();
  Code code = Code::kInternal;
  if (s.IsCorruption()) code = Code::kDataLoss;
  if (s.IsNoSpace()) {
    code = Code::kResourceExhausted;
  } else if (s.IsIOError()) {
    code = Code::kUnavailable;  // the disk failed: see Replica::storage_failure
  }
  return Status(code, context + ": " + s.ToString());
}

rocksdb::Slice AppliedKey() {
  return rocksdb::Slice(kAppliedKey, kAppliedKeySize);
}

}  // namespace

StateEngine::StateEngine(std::string group_dir, StateEngineOptions options)
    : group_dir_(std::move(group_dir)), options_(std::move(options)) {}

StateEngine::~StateEngine() = default;

Result<std::unique_ptr<StateEngine>> StateEngine::Open(const std::string& group_dir,
                                                       const StateEngineOptions& options) {
  if (Status s = fs::CreateDir(group_dir); !s.ok()) return s;
  const std::string live = fs::Join(group_dir, kLiveDbDir);
  const std::string staged = fs::Join(group_dir, kRestoreStagingDir);
  const std::string old = fs::Join(group_dir, kRestoreOldDir);
  // Undo or finish an interrupted RestoreSnapshot. Its renames run
  // live -> old, then staged -> live, with a directory fsync after each:
  //   live present          the swap finished or never began: drop the rest;
  //   live absent, old here a crash between the renames: roll back.
  bool changed = false;
  if (!fs::Exists(live) && fs::Exists(old)) {
    CAIRN_LOG(WARN) << "state engine " << group_dir << ": rolling back an interrupted restore";
    if (Status s = fs::Rename(old, live); !s.ok()) return s;
    changed = true;
  }
  for (const std::string& leftover : {staged, old}) {
    if (fs::Exists(leftover)) {
      if (Status s = fs::RemoveAll(leftover); !s.ok()) return s;
      changed = true;
    }
  }
  if (changed) {
    if (Status s = fs::SyncDir(group_dir); !s.ok()) return s;
  }

  std::unique_ptr<StateEngine> engine(new StateEngine(group_dir, options));
  if (Status s = engine->OpenDb(); !s.ok()) return s;
  return engine;
}

Status StateEngine::OpenDb() {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  opts.write_buffer_size = options_.write_buffer_bytes;
  opts.max_background_jobs = 2;
  opts.keep_log_file_num = 2;
  opts.max_log_file_size = 4 << 20;
  rocksdb::BlockBasedTableOptions table;
  if (options_.block_cache) table.block_cache = options_.block_cache;
  // Point reads (the latest-version records, exact versions) are Gets; a
  // bloom filter lets them skip the files that cannot hold the key.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  const std::string path = fs::Join(group_dir_, kLiveDbDir);
  if (Status s = FromRocks(rocksdb::DB::Open(opts, path, &raw), "open " + path); !s.ok()) return s;
  db_.reset(raw);
  return LoadApplied();
}

Status StateEngine::LoadApplied() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), AppliedKey(), &value);
  if (s.IsNotFound()) {
    applied_index_ = applied_term_ = 0;
    return Status::Ok();
  }
  if (Status st = FromRocks(s, "read applied index"); !st.ok()) return st;
  if (value.size() != 16) {
    return Status(Code::kDataLoss, group_dir_ + ": malformed applied index record");
  }
  applied_index_ = DecodeFixed64(value.data());
  applied_term_ = DecodeFixed64(value.data() + 8);
  return Status::Ok();
}

Status StateEngine::Commit(rocksdb::WriteBatch* batch, uint64_t applied_index,
                           uint64_t applied_term) {
  if (applied_index <= applied_index_) {
    return Status(Code::kFailedPrecondition, "applied index " + std::to_string(applied_index) +
                                                 " is not above " + std::to_string(applied_index_));
  }
  if (applied_term < applied_term_) {
    return Status(Code::kFailedPrecondition, "applied term " + std::to_string(applied_term) +
                                                 " is below " + std::to_string(applied_term_));
  }
  std::string value;
  PutFixed64(&value, applied_index);
  PutFixed64(&value, applied_term);
  // Same batch as the data: the index can never describe effects that are
  // not there, or miss effects that are.
  if (Status s = FromRocks(batch->Put(AppliedKey(), value), "batch"); !s.ok()) return s;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  wo.disableWAL = options_.unsafe_no_log;
  if (Status s = FromRocks(db_->Write(wo, batch), "commit"); !s.ok()) return s;
  applied_index_ = applied_index;
  applied_term_ = applied_term;
  return Status::Ok();
}

Status StateEngine::Sync() {
  return FromRocks(db_->SyncWAL(), "sync");
}

Result<SnapshotManifest> StateEngine::CreateSnapshot(const std::string& out_dir) const {
  if (fs::Exists(out_dir)) return Status(Code::kAlreadyExists, out_dir + " already exists");
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"); !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush = 0 flushes the memtable first, so the checkpoint is
  // SST files only and needs no log replay when opened.
  if (Status s = FromRocks(checkpoint->CreateCheckpoint(out_dir, 0), "checkpoint " + out_dir);
      !s.ok()) {
    (void)fs::RemoveAll(out_dir);
    return s;
  }
  // Commit runs on this thread only, so the applied state cannot have moved
  // since the checkpoint was cut.
  Result<SnapshotManifest> m = WriteSnapshotManifest(out_dir, applied_index_, applied_term_);
  if (!m.ok()) {
    (void)fs::RemoveAll(out_dir);
    return m;
  }
  // The snapshot's own name must survive a crash too.
  const size_t slash = out_dir.find_last_of('/');
  const std::string parent =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : out_dir.substr(0, slash));
  if (Status s = fs::SyncDir(parent); !s.ok()) return s;
  return m;
}

Status StateEngine::RestoreSnapshot(const std::string& snapshot_dir) {
  Result<SnapshotManifest> m = VerifySnapshot(snapshot_dir);
  if (!m.ok()) return m.status();

  const std::string staged = fs::Join(group_dir_, kRestoreStagingDir);
  if (Status s = fs::RemoveAll(staged); !s.ok()) return s;
  if (Status s = fs::Rename(snapshot_dir, staged); !s.ok()) {
    // Another filesystem: copy, then check the copy, since the bytes moved.
    if (Status c = fs::CreateDir(staged); !c.ok()) return c;
    for (const SnapshotFile& f : m->files) {
      if (Status c = fs::CopyFile(fs::Join(snapshot_dir, f.name), fs::Join(staged, f.name));
          !c.ok()) {
        (void)fs::RemoveAll(staged);
        return c;
      }
    }
    if (Status c = fs::CopyFile(fs::Join(snapshot_dir, kSnapshotManifestName),
                                fs::Join(staged, kSnapshotManifestName));
        !c.ok()) {
      (void)fs::RemoveAll(staged);
      return c;
    }
    if (Result<SnapshotManifest> again = VerifySnapshot(staged); !again.ok()) {
      (void)fs::RemoveAll(staged);
      return again.status();
    }
  }
  // Every file durable before the rename that makes it live.
  for (const SnapshotFile& f : m->files) {
    if (Status s = fs::SyncFile(fs::Join(staged, f.name)); !s.ok()) return s;
  }
  // RocksDB ignores the manifest, but a live directory should hold only
  // what its current state explains.
  if (Status s = fs::RemoveAll(fs::Join(staged, kSnapshotManifestName)); !s.ok()) return s;
  if (Status s = fs::SyncDir(staged); !s.ok()) return s;
  if (Status s = fs::SyncDir(group_dir_); !s.ok()) return s;

  // The data must say what the manifest says, checked while the live state
  // is still untouched.
  if (Status s = CheckStagedApplied(staged, *m); !s.ok()) {
    (void)fs::RemoveAll(staged);
    return s;
  }
  return SwapIn(staged);
}

Status StateEngine::CheckStagedApplied(const std::string& staged, const SnapshotManifest& m) {
  rocksdb::Options opts;
  rocksdb::DB* raw = nullptr;
  if (Status s = FromRocks(rocksdb::DB::OpenForReadOnly(opts, staged, &raw), "open " + staged);
      !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  rocksdb::Status got = db->Get(rocksdb::ReadOptions(), AppliedKey(), &value);
  uint64_t index = 0, term = 0;
  if (got.ok() && value.size() == 16) {
    index = DecodeFixed64(value.data());
    term = DecodeFixed64(value.data() + 8);
  } else if (!got.IsNotFound()) {
    return Status(Code::kDataLoss, staged + ": unreadable applied index record");
  }
  if (index != m.applied_index || term != m.applied_term) {
    return Status(Code::kDataLoss, "snapshot data holds applied index " + std::to_string(index) +
                                       " term " + std::to_string(term) + ", its manifest says " +
                                       std::to_string(m.applied_index) + " term " +
                                       std::to_string(m.applied_term));
  }
  return Status::Ok();
}

Status StateEngine::SwapIn(const std::string& staged) {
  const std::string live = fs::Join(group_dir_, kLiveDbDir);
  const std::string old = fs::Join(group_dir_, kRestoreOldDir);
  if (Status s = FromRocks(db_->Close(), "close"); !s.ok()) return s;
  db_.reset();
  Status s = fs::Rename(live, old);
  if (s.ok()) s = fs::SyncDir(group_dir_);
  if (!s.ok()) {
    (void)OpenDb();
    return s;
  }
  s = fs::Rename(staged, live);
  if (s.ok()) s = fs::SyncDir(group_dir_);
  if (!s.ok()) {
    // Back to the old state, as Open would do after a crash here.
    if (fs::Rename(old, live).ok()) (void)fs::SyncDir(group_dir_);
    (void)OpenDb();
    return s;
  }
  // The new state is live on disk; a store that cannot open it cannot go
  // on serving from the old one either. Restarting opens it (or, after a
  // crash in between, rolls the restore forward).
  Status open = OpenDb();
  CAIRN_CHECK(open.ok()) << "cannot open the restored state of " << group_dir_ << ": "
                         << open.message();
  (void)fs::RemoveAll(old);
  return fs::SyncDir(group_dir_);
}

}  // namespace cairn::storage
