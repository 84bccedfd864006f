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
  return Status::Ok();
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
  Result<std::optional<mvccpb::KeyValue>> prev = GetLatest(reader_, req.key());
  if (!prev.ok()) return prev.status();
  if ((req.ignore_value() || req.ignore_lease()) && !prev->has_value()) {
    return Status(Code::kInternal, "put with ignore_* reached the writer for a missing key");
  }
  const mvccpb::KeyValue* p = prev->has_value() ? &**prev : nullptr;
  const std::string& value = req.ignore_value() ? p->value() : req.value();
  const int64_t lease = req.ignore_lease() ? p->lease() : req.lease();
  const int64_t create = p ? p->create_revision() : write_;
  const int64_t version = p ? p->version() + 1 : 1;
  EncodeVersion(&scratch_value_, create, version, lease, value);
  if (Status s = WriteVersion(req.key(), scratch_value_, false); !s.ok()) return s;
  if (Status s = MoveLease(req.key(), p ? p->lease() : 0, lease); !s.ok()) return s;

  etcdserverpb::PutResponse resp;
  resp.mutable_header()->set_revision(write_);
  if (req.prev_kv() && p) *resp.mutable_prev_kv() = std::move(**prev);
  return resp;
}

Result<etcdserverpb::DeleteRangeResponse> Writer::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& req) {
  // Read everything first: the batch may not change under its iterator.
  std::vector<mvccpb::KeyValue> doomed;
  Status decode;
  Status scan;
  if (req.range_end().empty()) {
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
