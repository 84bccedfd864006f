#include "kv/mvcc_store.h"

#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <chrono>

#include "base/coding.h"
#include "kv/alarms.h"
#include "kv/compact.h"
#include "kv/errors.h"
#include "kv/key_value.h"
#include "kv/lease_table.h"
#include "kv/members.h"
#include "kv/mvcc_key.h"
#include "kv/read_view.h"
#include "kv/txn.h"
#include "kv/writer.h"

namespace cairn::kv {
namespace {

Result<int64_t> ReadMetaRevision(rocksdb::DB* db, const std::string& key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return int64_t{0};
  if (Status st = FromRocks(s, "read meta"); !st.ok()) return st;
  if (value.size() != 8) return Status(Code::kDataLoss, "malformed meta record " + key);
  const uint64_t v = DecodeFixed64(value.data());
  if (v > static_cast<uint64_t>(kMaxRevision)) {
    return Status(Code::kDataLoss, "malformed meta record " + key);
  }
  return static_cast<int64_t>(v);
}

std::string Fixed64(int64_t v) {
  std::string out;
  PutFixed64(&out, static_cast<uint64_t>(v));
  return out;
}

bool WritesAtRevision(const cairnpb::RaftRequest& req) {
  switch (req.request_case()) {
    case cairnpb::RaftRequest::kPut:
    case cairnpb::RaftRequest::kDeleteRange:
    case cairnpb::RaftRequest::kTxn:
    case cairnpb::RaftRequest::kLeaseRevoke:
      return true;
    default:
      return false;
  }
}

}  // namespace

MvccStore::MvccStore(std::unique_ptr<storage::StateEngine> engine, MvccOptions options)
    : options_(std::move(options)), engine_(std::move(engine)) {}

MvccStore::~MvccStore() = default;

Result<std::unique_ptr<MvccStore>> MvccStore::Open(const std::string& group_dir,
                                                   const MvccOptions& options) {
  Result<std::unique_ptr<storage::StateEngine>> engine =
      storage::StateEngine::Open(group_dir, options.engine);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<MvccStore> store(new MvccStore(std::move(*engine), options));
  if (Status s = store->LoadPublished(); !s.ok()) return s;
  return store;
}

Status MvccStore::LoadPublished() {
  Result<int64_t> current = ReadMetaRevision(engine_->db(), MetaCurrentRevisionKey());
  if (!current.ok()) return current.status();
  Result<int64_t> compacted = ReadMetaRevision(engine_->db(), MetaCompactedRevisionKey());
  if (!compacted.ok()) return compacted.status();
  // Counted once here (a scan of the newest-version records, one per live
  // key); applies keep it up to date from then on.
  int64_t keys = 0;
  {
    const std::string begin = LatestSpaceBegin(), end = LatestSpaceEnd();
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(ro));
    for (it->Seek(begin); it->Valid(); it->Next())
      ++keys;
    if (!it->status().ok()) return FromRocks(it->status(), "count keys");
  }
  std::lock_guard lock(publish_mu_);
  pub_ = Published{*current, *compacted, engine_->applied_index(), engine_->applied_term(), keys};
  return Status::Ok();
}

MvccStore::Published MvccStore::published() const {
  std::lock_guard lock(publish_mu_);
  return pub_;
}

uint64_t MvccStore::applied_index() const {
  return published().applied_index;
}
uint64_t MvccStore::applied_term() const {
  return published().applied_term;
}
int64_t MvccStore::current_revision() const {
  return published().current;
}
int64_t MvccStore::compacted_revision() const {
  return published().compacted;
}
int64_t MvccStore::key_count() const {
  return published().keys;
}

Result<ApplyResult> MvccStore::Apply(const cairnpb::RaftRequest& request, uint64_t index,
                                     uint64_t term, int64_t revision) {
  const LogEntry entry{index, term, revision, &request};
  Result<std::vector<ApplyResult>> results = ApplyBatch(std::span<const LogEntry>(&entry, 1));
  if (!results.ok()) return results.status();
  return std::move((*results)[0]);
}

Result<std::vector<ApplyResult>> MvccStore::ApplyBatch(std::span<const LogEntry> entries) {
  std::vector<ApplyResult> results;
  if (entries.empty()) return results;
  Published state = published();
  // The contract, checked before anything is applied.
  uint64_t index = state.applied_index;
  uint64_t term = state.applied_term;
  for (const LogEntry& e : entries) {
    if (e.index <= index || e.term < term) {
      return Status(Code::kFailedPrecondition,
                    "entry " + std::to_string(e.index) + " (term " + std::to_string(e.term) +
                        ") does not follow applied index " + std::to_string(index) + " (term " +
                        std::to_string(term) + ")");
    }
    index = e.index;
    term = e.term;
  }

  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  BatchReader reader(engine_->db(), &batch);
  results.reserve(entries.size());
  bool leases_changed = false;
  // Until the batch commits, the writer's caches may describe writes that
  // never happen: any early return forgets them.
  struct ForgetUnlessCommitted {
    MvccStore* store;
    bool committed = false;
    ~ForgetUnlessCommitted() {
      if (!committed) store->ForgetWriterCaches();
    }
  } guard{this};
  for (const LogEntry& e : entries) {
    batch.SetSavePoint();
    Result<ApplyResult> r = ApplyOne(e, &reader, &batch, &state, &leases_changed);
    if (!r.ok()) return r.status();
    if (r->status.ok()) {
      if (Status s = FromRocks(batch.PopSavePoint(), "pop save point"); !s.ok()) return s;
    } else {
      // Request errors are found before any write; this is insurance.
      if (Status s = FromRocks(batch.RollbackToSavePoint(), "rollback"); !s.ok()) return s;
      ForgetWriterCaches();
    }
    results.push_back(std::move(*r));
  }
  if (Status s = FromRocks(batch.Put(MetaCurrentRevisionKey(), Fixed64(state.current)), "batch");
      !s.ok()) {
    return s;
  }
  if (Status s =
          FromRocks(batch.Put(MetaCompactedRevisionKey(), Fixed64(state.compacted)), "batch");
      !s.ok()) {
    return s;
  }
  const LogEntry& last = entries.back();
  std::lock_guard lock(publish_mu_);
  const auto commit_start = std::chrono::steady_clock::now();
  if (Status s = engine_->Commit(batch.GetWriteBatch(), last.index, last.term); !s.ok()) return s;
  if (options_.commit_seconds != nullptr) {
    options_.commit_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_start).count());
  }
  guard.committed = true;
  state.applied_index = last.index;
  state.applied_term = last.term;
  pub_ = state;
  if (leases_changed) lease_generation_.fetch_add(1, std::memory_order_acq_rel);
  return results;
}

Result<ApplyResult> MvccStore::ApplyOne(const LogEntry& e, BatchReader* reader,
                                        rocksdb::WriteBatchWithIndex* batch, Published* state,
                                        bool* leases_changed) {
  ApplyResult out;
  if (e.request == nullptr) return out;
  const cairnpb::RaftRequest& req = *e.request;
  if (WritesAtRevision(req) && e.revision <= state->current) {
    return Status(Code::kFailedPrecondition, "entry " + std::to_string(e.index) + " has revision " +
                                                 std::to_string(e.revision) +
                                                 ", not above the current revision " +
                                                 std::to_string(state->current));
  }
  // No limit on the number of txn operations here: like etcd's
  // --max-txn-ops it is a per-member setting, checked before proposing
  // (ValidateRaftRequest with the member's limit). Applying it again could
  // make replicas configured differently disagree on a committed entry.
  out.status = ValidateRaftRequest(req, kNoTxnOpsLimit);
  if (!out.status.ok()) return out;
  // Checked again here, not only before proposing: an alarm raised while
  // the write was in flight must refuse it on every replica alike.
  if (!alarms_cache_) {
    Result<Alarms> alarms = LoadAlarms(reader);
    if (!alarms.ok()) return alarms.status();
    alarms_cache_ = std::move(*alarms);
  }
  out.status = CheckAlarms(*alarms_cache_, req);
  if (!out.status.ok()) return out;

  Writer w(reader, batch, state->current, e.revision, state->compacted, &latest_cache_);
  // However the entry ends: a failed batch discards `state` anyway.
  struct CountKeys {
    const Writer& w;
    Published* state;
    ~CountKeys() { state->keys += w.live_delta(); }
  } count_keys{w, state};
  switch (req.request_case()) {
    case cairnpb::RaftRequest::kPut: {
      const auto& put = req.put();
      if (put.lease() != 0) {
        Result<bool> exists = LeaseExists(reader, put.lease());
        if (!exists.ok()) return exists.status();
        if (!*exists) {
          out.status = KvStatus(KvError::kLeaseNotFound);
          return out;
        }
      }
      if (put.ignore_value() || put.ignore_lease()) {
        Result<std::optional<mvccpb::KeyValue>> prev = GetLatest(reader, put.key());
        if (!prev.ok()) return prev.status();
        if (!prev->has_value()) {
          out.status = KvStatus(KvError::kKeyNotFound);
          return out;
        }
      }
      Result<etcdserverpb::PutResponse> r = w.Put(put);
      if (!r.ok()) return r.status();
      out.response = std::move(*r);
      break;
    }
    case cairnpb::RaftRequest::kDeleteRange: {
      Result<etcdserverpb::DeleteRangeResponse> r = w.DeleteRange(req.delete_range());
      if (!r.ok()) return r.status();
      out.response = std::move(*r);
      break;
    }
    case cairnpb::RaftRequest::kTxn: {
      Result<etcdserverpb::TxnResponse> r = ApplyTxn(&w, req.txn());
      if (!r.ok()) {
        if (!IsRequestError(r.status())) return r.status();
        out.status = r.status();
        return out;
      }
      out.response = std::move(*r);
      break;
    }
    case cairnpb::RaftRequest::kCompaction: {
      const int64_t rev = req.compaction().revision();
      if (rev <= state->compacted) {
        out.status = KvStatus(KvError::kCompacted);
        return out;
      }
      if (rev > state->current) {
        out.status = KvStatus(KvError::kFutureRev);
        return out;
      }
      if (Status s = CompactVersions(reader, batch, rev); !s.ok()) return s;
      state->compacted = rev;
      etcdserverpb::CompactionResponse resp;
      resp.mutable_header()->set_revision(state->current);
      out.response = std::move(resp);
      return out;
    }
    case cairnpb::RaftRequest::kMembership:
    case cairnpb::RaftRequest::kMemberAttributes:
    case cairnpb::RaftRequest::kMemberPeerUpdate: {
      // Read, change, write back: one record, in this entry's batch.
      Result<cairnpb::MemberTable> table = ReadMemberTable(reader);
      if (!table.ok()) return table.status();
      out.status = ApplyMemberRequest(req, &*table);
      if (!out.status.ok()) return out;
      if (Status s = FromRocks(batch->Put(MemberTableKey(), table->SerializeAsString()), "batch");
          !s.ok()) {
        return s;
      }
      return out;
    }
    case cairnpb::RaftRequest::kAlarm: {
      alarms_cache_.reset();  // the alarm set changes in this batch
      Result<etcdserverpb::AlarmResponse> r = ApplyAlarm(req.alarm(), reader, batch);
      if (!r.ok()) return r.status();
      r->mutable_header()->set_revision(state->current);
      out.response = std::move(*r);
      return out;
    }
    case cairnpb::RaftRequest::kLeaseGrant: {
      const auto& grant = req.lease_grant();
      Result<bool> exists = LeaseExists(reader, grant.id());
      if (!exists.ok()) return exists.status();
      if (*exists) {
        out.status = KvStatus(KvError::kLeaseExists);
        return out;
      }
      if (Status s = PutLease(batch, grant.id(), grant.ttl()); !s.ok()) return s;
      *leases_changed = true;
      etcdserverpb::LeaseGrantResponse resp;
      resp.mutable_header()->set_revision(state->current);
      resp.set_id(grant.id());
      resp.set_ttl(grant.ttl());
      out.response = std::move(resp);
      return out;
    }
    case cairnpb::RaftRequest::kLeaseRevoke: {
      const int64_t id = req.lease_revoke().id();
      Result<bool> exists = LeaseExists(reader, id);
      if (!exists.ok()) return exists.status();
      if (!*exists) {
        out.status = KvStatus(KvError::kLeaseNotFound);
        return out;
      }
      // The keys go in one revision, as one deletion each (watchers see a
      // DELETE per key, all with the same mod_revision).
      Result<std::vector<std::string>> keys = kv::LeaseKeys(reader, id);
      if (!keys.ok()) return keys.status();
      for (const std::string& key : *keys) {
        etcdserverpb::DeleteRangeRequest del;
        del.set_key(key);
        if (Result<etcdserverpb::DeleteRangeResponse> r = w.DeleteRange(del); !r.ok()) {
          return r.status();
        }
      }
      if (Status s = DeleteLease(batch, id); !s.ok()) return s;
      *leases_changed = true;
      if (w.changes() > 0) state->current = e.revision;
      etcdserverpb::LeaseRevokeResponse resp;
      resp.mutable_header()->set_revision(state->current);
      out.response = std::move(resp);
      return out;
    }
    case cairnpb::RaftRequest::kLeaseKeepAlive:
    case cairnpb::RaftRequest::kLeaseTimeToLive:
      // Queries, never proposed (validation refuses them); harmless here.
    case cairnpb::RaftRequest::REQUEST_NOT_SET:
      return out;
  }
  if (w.changes() > 0) state->current = e.revision;
  return out;
}

Result<storage::SnapshotManifest> MvccStore::CreateSnapshot(const std::string& out_dir) {
  return engine_->CreateSnapshot(out_dir);
}

void MvccStore::ForgetWriterCaches() {
  latest_cache_.Clear();
  alarms_cache_.reset();
}

Status MvccStore::RestoreSnapshot(const std::string& snapshot_dir) {
  std::unique_lock lock(db_mu_);
  ForgetWriterCaches();
  if (Status s = engine_->RestoreSnapshot(snapshot_dir); !s.ok()) return s;
  lease_generation_.fetch_add(1, std::memory_order_acq_rel);
  return LoadPublished();
}

Status MvccStore::ReplaceMemberTable(const cairnpb::MemberTable& table) {
  rocksdb::WriteBatch batch;
  if (Status s = FromRocks(batch.Put(MemberTableKey(), table.SerializeAsString()), "batch");
      !s.ok()) {
    return s;
  }
  std::lock_guard lock(publish_mu_);
  const uint64_t index = pub_.applied_index + 1;
  if (Status s = engine_->Commit(&batch, index, pub_.applied_term); !s.ok()) return s;
  pub_.applied_index = index;
  return Status::Ok();
}

Status MvccStore::Sync() {
  return engine_->Sync();
}

}  // namespace cairn::kv
