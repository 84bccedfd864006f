#include "kv/key_value.h"

#include "kv/errors.h"
#include "kv/mvcc_key.h"
#include "kv/mvcc_value.h"

namespace cairn::kv {

Status DecodeKeyValue(Slice raw_key, int64_t revision, Slice raw_value, bool with_value,
                      mvccpb::KeyValue* kv) {
  std::string* key = kv->mutable_key();
  int64_t key_rev = 0;
  if (Status s = DecodeDataKey(raw_key, key, &key_rev); !s.ok()) return s;
  if (key_rev != revision) return Status(Code::kInternal, "revision mismatch");
  bool tombstone = false;
  VersionRecord rec;
  if (Status s = DecodeVersion(raw_value, &tombstone, &rec); !s.ok()) return s;
  if (tombstone) return Status(Code::kInternal, "tombstone where a live version was expected");
  if (rec.create_revision > revision) {
    return Status(Code::kDataLoss, "malformed mvcc value: created after its modification");
  }
  kv->set_create_revision(rec.create_revision);
  kv->set_mod_revision(revision);
  kv->set_version(rec.version);
  kv->set_lease(rec.lease);
  if (with_value) kv->set_value(rec.value.data(), rec.value.size());
  return Status::Ok();
}

Result<std::optional<mvccpb::KeyValue>> GetLatest(RawReader* reader, Slice key) {
  std::optional<mvccpb::KeyValue> out;
  std::string value;
  bool found = false;
  if (Status s = reader->Get(LatestKey(key), &value, &found); !s.ok()) return s;
  if (!found) return out;
  Result<int64_t> rev = DecodeLatestValue(value);
  if (!rev.ok()) return rev.status();
  const std::string data_key = DataKey(key, *rev);
  if (Status s = reader->Get(data_key, &value, &found); !s.ok()) return s;
  if (!found || IsTombstone(value)) {
    return Status(Code::kDataLoss, "latest-version record points at no live version");
  }
  out.emplace();
  if (Status s = DecodeKeyValue(data_key, *rev, value, true, &*out); !s.ok()) return s;
  return out;
}

Result<int64_t> ResolveReadRevision(int64_t requested, int64_t current, int64_t compacted) {
  if (requested > current) return KvStatus(KvError::kFutureRev);
  const int64_t rev = requested <= 0 ? current : requested;
  if (rev < compacted) return KvStatus(KvError::kCompacted);
  return rev;
}

}  // namespace cairn::kv
