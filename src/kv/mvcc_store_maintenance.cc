// MvccStore's maintenance operations (etcd's Maintenance service): alarms
// and defragmentation.
#include <rocksdb/db.h>

#include "kv/alarms.h"
#include "kv/mvcc_store.h"
#include "kv/read_view.h"

namespace cairn::kv {

Result<Alarms> MvccStore::RaisedAlarms() const {
  std::shared_lock lock(db_mu_);
  // The latest committed batch: alarms change only by whole batches.
  SnapshotReader reader(engine_->db(), nullptr);
  return LoadAlarms(&reader);
}

Status MvccStore::Defragment() {
  // Shared: only RestoreSnapshot, which closes the database, must wait.
  std::shared_lock lock(db_mu_);
  rocksdb::DB* db = engine_->db();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  // Flushing first also retires RocksDB's own log files.
  if (Status s = FromRocks(db->Flush(flush), "flush"); !s.ok()) return s;
  rocksdb::CompactRangeOptions options;
  // Rewrite the bottom level too, so deleted and compacted-away versions
  // (tombstones) really leave the files.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(db->CompactRange(options, nullptr, nullptr), "defragment");
}

}  // namespace cairn::kv
