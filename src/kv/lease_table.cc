#include "kv/lease_table.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include "base/coding.h"
#include "kv/mvcc_key.h"

namespace cairn::kv {

Result<bool> LeaseExists(RawReader* reader, int64_t id) {
  std::string value;
  bool found = false;
  if (Status s = reader->Get(LeaseKey(id), &value, &found); !s.ok()) return s;
  return found;
}

Status PutLease(rocksdb::WriteBatchWithIndex* batch, int64_t id, int64_t ttl) {
  std::string value;
  PutVarint64(&value, static_cast<uint64_t>(ttl));
  return FromRocks(batch->Put(LeaseKey(id), value), "batch put lease");
}

Status DeleteLease(rocksdb::WriteBatchWithIndex* batch, int64_t id) {
  return FromRocks(batch->Delete(LeaseKey(id)), "batch delete lease");
}

Result<std::vector<std::string>> LeaseKeys(RawReader* reader, int64_t id) {
  const std::string prefix = LeaseAttachPrefix(id);
  std::unique_ptr<BoundedIterator> b = reader->NewIterator(LeaseAttachPrefixEnd(id));
  std::vector<std::string> keys;
  for (b->it->Seek(prefix); b->it->Valid(); b->it->Next()) {
    // A batch's own records are not held to the iterator's bound.
    const rocksdb::Slice k = b->it->key();
    if (!k.starts_with(prefix)) break;
    keys.emplace_back(k.data() + prefix.size(), k.size() - prefix.size());
  }
  if (Status s = FromRocks(b->it->status(), "scan lease keys"); !s.ok()) return s;
  return keys;
}

Status AttachKey(rocksdb::WriteBatchWithIndex* batch, int64_t id, Slice key) {
  return FromRocks(batch->Put(LeaseAttachKey(id, key), rocksdb::Slice()), "batch attach key");
}

Status DetachKey(rocksdb::WriteBatchWithIndex* batch, int64_t id, Slice key) {
  return FromRocks(batch->Delete(LeaseAttachKey(id, key)), "batch detach key");
}

Status ForEachLease(RawReader* reader, const std::function<void(int64_t id, int64_t ttl)>& visit) {
  const std::string end = LeaseSpaceEnd();
  std::unique_ptr<BoundedIterator> b = reader->NewIterator(end);
  for (b->it->Seek(LeaseSpaceBegin()); b->it->Valid(); b->it->Next()) {
    if (b->it->key().compare(end) >= 0) break;
    Result<int64_t> id = DecodeLeaseKey(ToSlice(b->it->key()));
    if (!id.ok()) return id.status();
    Slice value = ToSlice(b->it->value());
    uint64_t ttl = 0;
    if (!GetVarint64(&value, &ttl) || !value.empty()) {
      return Status(Code::kDataLoss, "malformed lease record " + std::to_string(*id));
    }
    visit(*id, static_cast<int64_t>(ttl));
  }
  return FromRocks(b->it->status(), "scan leases");
}

}  // namespace cairn::kv
