#pragma once

#include <cstdint>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/latest_cache.h"
#include "kv/read_view.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

namespace cairn::kv {

// The writes of one log entry, all at one revision, into the batch being
// built (etcd's storeTxnWrite). Reads go through the same batch, so later
// operations see earlier ones. Requests must already be validated; every
// error returned here is the store's, not the request's.
class Writer {
 public:
  // `cache` (may be null) is read before the store and kept up to date
  // with every version written.
  Writer(RawReader* reader, rocksdb::WriteBatchWithIndex* batch, int64_t begin_revision,
         int64_t write_revision, int64_t compacted_revision, LatestCache* cache = nullptr)
      : reader_(reader),
        batch_(batch),
        begin_(begin_revision),
        write_(write_revision),
        compacted_(compacted_revision),
        cache_(cache) {}

  RawReader* reader() const { return reader_; }
  int64_t begin_revision() const { return begin_; }
  int64_t write_revision() const { return write_; }
  int64_t compacted_revision() const { return compacted_; }
  // Changes so far: the sub-index of the next one in the change log.
  uint32_t changes() const { return changes_; }
  // Keys this writer brought to life minus those it deleted.
  int64_t live_delta() const { return live_delta_; }
  // What a read inside the entry sees (etcd: beginRev, +1 once it wrote).
  int64_t read_revision() const { return changes_ > 0 ? write_ : begin_; }

  // ignore_value / ignore_lease need the key to exist, and a lease must
  // exist: check first.
  Result<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& req);
  Result<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& req);
  Result<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& req);

 private:
  Status WriteVersion(Slice key, Slice encoded_value, bool is_delete);
  // The key's newest version from the cache, or from the store (then also
  // its full record in `full`, and the cache learns it). `need_record`
  // skips the cache: the caller needs the record itself.
  Result<LatestMeta> Latest(Slice key, bool need_record, std::optional<mvccpb::KeyValue>* full);
  // Keeps each lease's list of keys in step with the keys' versions.
  Status MoveLease(Slice key, int64_t from, int64_t to);

  RawReader* reader_;
  rocksdb::WriteBatchWithIndex* batch_;
  int64_t begin_;
  int64_t write_;
  int64_t compacted_;
  LatestCache* cache_;
  uint32_t changes_ = 0;
  int64_t live_delta_ = 0;
  std::string scratch_key_;
  std::string scratch_value_;
};

}  // namespace cairn::kv
