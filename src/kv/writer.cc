#include "kv/writer.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include <vector>

#include "kv/key_value.h"
#include "kv/lease_table.h"
#include "kv/mvcc_key.h"
#include "kv/mvcc_value.h"
#include "kv/range.h"

namespace cairn::kv {

Status Writer::WriteVersion(Slice key, Slice encoded_value, bool is_delete) {
  scratch_key_.clear();
  AppendDataKey(&scratch_key_, key, write_);
  if (Status s = FromRocks(
          batch_->Put(scratch_key_, rocksdb::Slice(encoded_value.data(), encoded_value.size())),
          "batch put");
      !s.ok()) {
    return s;
  }
  const std::string latest = LatestKey(key);
  const rocksdb::Status ls =
      is_delete ? batch_->Delete(latest) : batch_->Put(latest, LatestValue(write_));
  if (Status s = FromRocks(ls, "batch put"); !s.ok()) return s;
  std::string change;
  EncodeChange(&change, is_delete ? ChangeType::kDelete : ChangeType::kPut, key);
  if (Status s = FromRocks(batch_->Put(ChangeKey(write_, changes_), change), "batch put");
      !s.ok()) {
    return s;
  }
  ++changes_;
  if (is_delete && cache_ != nullptr) cache_->Put(std::string_view(key.data(), key.size()), {});
  // Only live keys are deleted (DeleteRange reads them first).
  if (is_delete) --live_delta_;
  return Status::Ok();
}

Result<LatestMeta> Writer::Latest(Slice key, bool need_record,
                                  std::optional<mvccpb::KeyValue>* full) {
  const std::string_view k(key.data(), key.size());
  if (cache_ != nullptr && !need_record) {
    if (const LatestMeta* m = cache_->Find(k)) return *m;
  }
  Result<std::optional<mvccpb::KeyValue>> got = GetLatest(reader_, key);
  if (!got.ok()) return got.status();
  LatestMeta meta;
  if (got->has_value()) {
    const mvccpb::KeyValue& kv = **got;
    meta = LatestMeta{true, kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()};
  }
  *full = std::move(*got);
  if (cache_ != nullptr) cache_->Put(k, meta);
  return meta;
}

Status Writer::MoveLease(Slice key, int64_t from, int64_t to) {
  if (from == to) return Status::Ok();
  if (from != 0) {
    if (Status s = DetachKey(batch_, from, key); !s.ok()) return s;
  }
  if (to != 0) return AttachKey(batch_, to, key);
  return Status::Ok();
}

Result<etcdserverpb::PutResponse> Writer::Put(const etcdserverpb::PutRequest& req) {
  // The previous value itself is needed only for ignore_value and prev_kv:
  // otherwise what the cache knows is enough.
  std::optional<mvccpb::KeyValue> full;
  Result<LatestMeta> prev = Latest(req.key(), req.ignore_value() || req.prev_kv(), &full);
  if (!prev.ok()) return prev.status();
  const LatestMeta& p = *prev;
  if ((req.ignore_value() || req.ignore_lease()) && !p.live) {
    return Status(Code::kInternal, "put with ignore_* reached the writer for a missing key");
  }
  const std::string& value = req.ignore_value() ? full->value() : req.value();
  const int64_t lease = req.ignore_lease() ? p.lease : req.lease();
  const int64_t create = p.live ? p.create_revision : write_;
  const int64_t version = p.live ? p.version + 1 : 1;
  EncodeVersion(&scratch_value_, create, version, lease, value);
  if (Status s = WriteVersion(req.key(), scratch_value_, false); !s.ok()) return s;
  if (!p.live) ++live_delta_;
  if (Status s = MoveLease(req.key(), p.live ? p.lease : 0, lease); !s.ok()) return s;
  if (cache_ != nullptr) cache_->Put(req.key(), LatestMeta{true, create, write_, version, lease});

  etcdserverpb::PutResponse resp;
  resp.mutable_header()->set_revision(write_);
  if (req.prev_kv() && full.has_value()) *resp.mutable_prev_kv() = std::move(*full);
  return resp;
}

Result<etcdserverpb::DeleteRangeResponse> Writer::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& req) {
  // Read everything first: the batch may not change under its iterator.
  std::vector<mvccpb::KeyValue> doomed;
  Status decode;
  Status scan;
  const LatestMeta* known = cache_ != nullptr ? cache_->Find(req.key()) : nullptr;
  if (req.range_end().empty() && known != nullptr && !known->live) {
    // Nothing to delete, and the cache knows it without a read.
  } else if (req.range_end().empty()) {
    Result<std::optional<mvccpb::KeyValue>> one = GetLatest(reader_, req.key());
    if (!one.ok()) return one.status();
    if (one->has_value()) doomed.push_back(std::move(**one));
  } else {
    scan = ScanLive(reader_, MakeKeyRange(req.key(), req.range_end()), kMaxRevision,
                    [&](Slice raw_key, int64_t rev, Slice raw_value) {
                      decode = DecodeKeyValue(raw_key, rev, raw_value, req.prev_kv(),
                                              &doomed.emplace_back());
                      return decode.ok();
                    });
  }
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;

  EncodeTombstone(&scratch_value_);
  for (const mvccpb::KeyValue& kv : doomed) {
    if (Status s = WriteVersion(kv.key(), scratch_value_, true); !s.ok()) return s;
    if (Status s = MoveLease(kv.key(), kv.lease(), 0); !s.ok()) return s;
  }
  etcdserverpb::DeleteRangeResponse resp;
  resp.mutable_header()->set_revision(changes_ > 0 ? write_ : begin_);
  resp.set_deleted(static_cast<int64_t>(doomed.size()));
  if (req.prev_kv()) {
    for (mvccpb::KeyValue& kv : doomed)
      *resp.add_prev_kvs() = std::move(kv);
  }
  return resp;
}

Result<etcdserverpb::RangeResponse> Writer::Range(const etcdserverpb::RangeRequest& req) {
  return ExecuteRange(reader_, req, read_revision(), compacted_);
}

}  // namespace cairn::kv
