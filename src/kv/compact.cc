#include "kv/compact.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include <string>
#include <vector>

#include "kv/mvcc_key.h"
#include "kv/mvcc_value.h"

namespace cairn::kv {

Status CompactVersions(RawReader* reader, rocksdb::WriteBatchWithIndex* batch, int64_t revision) {
  std::vector<std::string> doomed;
  {
    // Bounds are checked here too: the batch overlay applies them only to
    // the database's records, not to the batch's own.
    const std::string data_end = DataSpaceEnd();
    std::unique_ptr<BoundedIterator> b = reader->NewIterator(data_end);
    rocksdb::Iterator* it = b->it.get();
    std::string prefix;
    bool kept_one = false;  // for `prefix`: the newest version <= revision was seen
    for (it->Seek(DataSpaceBegin()); it->Valid(); it->Next()) {
      const Slice raw = ToSlice(it->key());
      if (raw.compare(Slice(data_end)) >= 0) break;
      Result<int64_t> rev = DataKeyRevision(raw);
      if (!rev.ok()) return rev.status();
      const Slice key_prefix(raw.data(), raw.size() - kRevisionBytes);
      if (key_prefix != Slice(prefix)) {
        prefix.assign(key_prefix.data(), key_prefix.size());
        kept_one = false;
      }
      if (*rev > revision) continue;
      if (kept_one || IsTombstone(ToSlice(it->value()))) doomed.emplace_back(raw.view());
      kept_one = true;
    }
    if (Status s = FromRocks(it->status(), "compaction scan"); !s.ok()) return s;

    const std::string change_end = ChangeKey(revision, 0);
    std::unique_ptr<BoundedIterator> c = reader->NewIterator(change_end);
    for (c->it->Seek(ChangeSpaceBegin()); c->it->Valid(); c->it->Next()) {
      const Slice raw = ToSlice(c->it->key());
      if (raw.compare(Slice(change_end)) >= 0) break;
      doomed.emplace_back(raw.view());
    }
    if (Status s = FromRocks(c->it->status(), "compaction scan"); !s.ok()) return s;
  }
  for (const std::string& key : doomed) {
    if (Status s = FromRocks(batch->Delete(key), "batch delete"); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace cairn::kv
