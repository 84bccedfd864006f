#pragma once

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/slice.h"
#include "base/status.h"

namespace rocksdb {
class DB;
class Snapshot;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace cairn::kv {

// An iterator with the upper bound it was made with: RocksDB reads the
// bound through a pointer for the iterator's whole life, so they live and
// die together (never moved: handed out by unique_ptr).
struct BoundedIterator {
  std::string bound;
  rocksdb::Slice bound_slice;
  rocksdb::ReadOptions options;
  std::unique_ptr<rocksdb::Iterator> it;
};

// Where reads get raw records from: a consistent DB snapshot (client
// reads), or the DB overlaid with the write batch being built (applying
// entries, so that each sees the ones before it in the batch).
class RawReader {
 public:
  virtual ~RawReader() = default;
  // Iterates keys below `upper_bound` (exclusive; empty for none).
  virtual std::unique_ptr<BoundedIterator> NewIterator(std::string upper_bound) = 0;
  // Ok with *found false when absent.
  virtual Status Get(const std::string& key, std::string* value, bool* found) = 0;
};

class SnapshotReader final : public RawReader {
 public:
  SnapshotReader(rocksdb::DB* db, const rocksdb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot) {}
  std::unique_ptr<BoundedIterator> NewIterator(std::string upper_bound) override;
  Status Get(const std::string& key, std::string* value, bool* found) override;

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// Writers must not change the batch while one of its iterators is in use
// (RocksDB's rule): read first, then write.
class BatchReader final : public RawReader {
 public:
  BatchReader(rocksdb::DB* db, rocksdb::WriteBatchWithIndex* batch) : db_(db), batch_(batch) {}
  std::unique_ptr<BoundedIterator> NewIterator(std::string upper_bound) override;
  Status Get(const std::string& key, std::string* value, bool* found) override;

 private:
  rocksdb::DB* db_;
  rocksdb::WriteBatchWithIndex* batch_;
};

// A key range in etcd's terms, as bounds on encoded data keys: range_end
// empty is the single key; "\0" is every key >= key; otherwise
// [key, range_end), which is empty when range_end <= key.
struct KeyRange {
  std::string begin;  // inclusive
  std::string end;    // exclusive
};
KeyRange MakeKeyRange(Slice key, Slice range_end);

// Calls visit(raw data key, revision, raw value) for the newest version at
// or below `revision` of every key in `range` that is live at that
// revision, in key order, until visit returns false. Malformed records are
// DataLoss.
using VersionVisitor = std::function<bool(Slice raw_key, int64_t revision, Slice raw_value)>;
Status ScanLive(RawReader* reader, const KeyRange& range, int64_t revision,
                const VersionVisitor& visit);

Status FromRocks(const rocksdb::Status& s, const char* context);

inline Slice ToSlice(const rocksdb::Slice& s) {
  return Slice(s.data(), s.size());
}

}  // namespace cairn::kv
