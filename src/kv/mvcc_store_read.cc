// MvccStore's reads: each works on one RocksDB snapshot taken together with
// the revisions it is consistent with.
#include <rocksdb/db.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "kv/errors.h"
#include "kv/key_value.h"
#include "kv/lease_table.h"
#include "kv/members.h"
#include "kv/mvcc_key.h"
#include "kv/mvcc_store.h"
#include "kv/mvcc_value.h"
#include "kv/range.h"
#include "kv/read_view.h"

namespace cairn::kv {

class MvccStore::ReadSnapshot {
 public:
  explicit ReadSnapshot(const MvccStore& store) : lock_(store.db_mu_), db_(store.engine_->db()) {
    std::lock_guard publish(store.publish_mu_);
    snapshot_ = db_->GetSnapshot();
    pub_ = store.pub_;
  }
  ~ReadSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

  const Published& pub() const { return pub_; }
  SnapshotReader reader() const { return SnapshotReader(db_, snapshot_); }

 private:
  std::shared_lock<std::shared_mutex> lock_;
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  Published pub_;
};

Result<etcdserverpb::RangeResponse> MvccStore::Range(
    const etcdserverpb::RangeRequest& request) const {
  ReadSnapshot snap(*this);
  SnapshotReader reader = snap.reader();
  return ExecuteRange(&reader, request, snap.pub().current, snap.pub().compacted);
}

Result<cairnpb::MemberTable> MvccStore::Members() const {
  ReadSnapshot snap(*this);
  SnapshotReader reader = snap.reader();
  return ReadMemberTable(&reader);
}

Result<std::vector<mvccpb::Event>> MvccStore::Changes(int64_t from_revision,
                                                      size_t max_events) const {
  ReadSnapshot snap(*this);
  if (from_revision < snap.pub().compacted) return KvStatus(KvError::kCompacted);
  SnapshotReader reader = snap.reader();
  std::vector<mvccpb::Event> events;
  std::unique_ptr<BoundedIterator> b = reader.NewIterator(ChangeSpaceEnd());
  std::string value;
  for (b->it->Seek(ChangeKey(std::max<int64_t>(from_revision, 1), 0));
       b->it->Valid() && events.size() < max_events; b->it->Next()) {
    Result<ChangeKeyParts> key = DecodeChangeKey(ToSlice(b->it->key()));
    if (!key.ok()) return key.status();
    ChangeType type;
    Slice user_key;
    if (Status s = DecodeChange(ToSlice(b->it->value()), &type, &user_key); !s.ok()) return s;
    mvccpb::Event& ev = events.emplace_back();
    mvccpb::KeyValue* kv = ev.mutable_kv();
    kv->set_key(user_key.data(), user_key.size());
    kv->set_mod_revision(key->revision);
    if (type == ChangeType::kDelete) {
      ev.set_type(mvccpb::Event::DELETE);
      continue;
    }
    ev.set_type(mvccpb::Event::PUT);
    bool found = false;
    const std::string data_key = DataKey(user_key, key->revision);
    if (Status s = reader.Get(data_key, &value, &found); !s.ok()) return s;
    // Absent or a tombstone only when the same entry deleted the key again
    // (etcd allows that in a txn); the event keeps its key and revision.
    if (found && !IsTombstone(value)) {
      if (Status s = DecodeKeyValue(data_key, key->revision, value, true, kv); !s.ok()) return s;
    }
  }
  if (Status s = FromRocks(b->it->status(), "change log"); !s.ok()) return s;
  return events;
}

Result<uint32_t> MvccStore::Digest(int64_t revision) const {
  ReadSnapshot snap(*this);
  const int64_t compacted = snap.pub().compacted;
  Result<int64_t> at = ResolveReadRevision(revision, snap.pub().current, compacted);
  if (!at.ok()) return at.status();
  SnapshotReader reader = snap.reader();

  uint32_t crc = 0;
  auto add = [&crc](Slice s) { crc = crc32c::Extend(crc, s.data(), s.size()); };
  auto add_sized = [&](Slice s) {
    std::string len;
    PutVarint64(&len, s.size());
    add(len);
    add(s);
  };
  std::string header = "cairn-mvcc-digest-1";
  PutFixed64(&header, static_cast<uint64_t>(*at));
  PutFixed64(&header, static_cast<uint64_t>(compacted));
  add(header);

  {
    std::unique_ptr<BoundedIterator> b = reader.NewIterator(DataSpaceEnd());
    std::string prefix;
    bool seen_at_or_below_compacted = false;
    for (b->it->Seek(DataSpaceBegin()); b->it->Valid(); b->it->Next()) {
      const Slice raw = ToSlice(b->it->key());
      Result<int64_t> rev = DataKeyRevision(raw);
      if (!rev.ok()) return rev.status();
      const Slice key_prefix(raw.data(), raw.size() - kRevisionBytes);
      if (key_prefix != Slice(prefix)) {
        prefix.assign(key_prefix.data(), key_prefix.size());
        seen_at_or_below_compacted = false;
      }
      if (*rev > *at) continue;
      const Slice value = ToSlice(b->it->value());
      // What a read at or after the compacted revision can observe: every
      // later version, and the one it reads at the compacted revision.
      if (*rev <= compacted) {
        const bool visible = !seen_at_or_below_compacted && !IsTombstone(value);
        seen_at_or_below_compacted = true;
        if (!visible) continue;
      }
      add_sized(raw);
      add_sized(value);
    }
    if (Status s = FromRocks(b->it->status(), "digest"); !s.ok()) return s;
  }
  {
    std::unique_ptr<BoundedIterator> b = reader.NewIterator(ChangeSpaceEnd());
    for (b->it->Seek(ChangeKey(std::max<int64_t>(compacted, 1), 0)); b->it->Valid();
         b->it->Next()) {
      Result<ChangeKeyParts> key = DecodeChangeKey(ToSlice(b->it->key()));
      if (!key.ok()) return key.status();
      if (key->revision > *at) break;
      add_sized(ToSlice(b->it->key()));
      add_sized(ToSlice(b->it->value()));
    }
    if (Status s = FromRocks(b->it->status(), "digest"); !s.ok()) return s;
  }
  if (*at == snap.pub().current) {
    // The latest-version index is derived state, but replicas must agree on
    // it too: a divergence there is a divergence in every current read.
    std::unique_ptr<BoundedIterator> b = reader.NewIterator(LatestSpaceEnd());
    for (b->it->Seek(LatestSpaceBegin()); b->it->Valid(); b->it->Next()) {
      add_sized(ToSlice(b->it->key()));
      add_sized(ToSlice(b->it->value()));
    }
    if (Status s = FromRocks(b->it->status(), "digest"); !s.ok()) return s;
  }
  return crc;
}

}  // namespace cairn::kv

namespace cairn::kv {

Result<std::vector<MvccStore::Lease>> MvccStore::Leases() const {
  ReadSnapshot snap(*this);
  SnapshotReader reader = snap.reader();
  std::vector<Lease> leases;
  Status s = ForEachLease(&reader, [&](int64_t id, int64_t ttl) { leases.push_back({id, ttl}); });
  if (!s.ok()) return s;
  return leases;
}

Result<std::vector<std::string>> MvccStore::LeaseKeys(int64_t id) const {
  ReadSnapshot snap(*this);
  SnapshotReader reader = snap.reader();
  return kv::LeaseKeys(&reader, id);
}

}  // namespace cairn::kv
