#include "kv/read_view.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include "kv/mvcc_key.h"
#include "kv/mvcc_value.h"

namespace cairn::kv {
namespace {

// Before seeking, how many Next() calls to try to step past a key's older
// versions: most keys have few, and Next is much cheaper than Seek.
constexpr int kNextsBeforeSeek = 4;

void SetOptions(BoundedIterator* b, const rocksdb::Snapshot* snapshot) {
  b->options.snapshot = snapshot;
  if (!b->bound.empty()) {
    b->bound_slice = rocksdb::Slice(b->bound);
    b->options.iterate_upper_bound = &b->bound_slice;
  }
}

void PutBigEndianInverted(std::string* out, int64_t revision) {
  const uint64_t v = ~static_cast<uint64_t>(revision);
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>(v >> shift));
}

// Same user key: same length and the same bytes before the revision.
bool SamePrefix(Slice raw, Slice prefix) {
  return raw.size() == prefix.size() + kRevisionBytes && raw.starts_with(prefix);
}

}  // namespace

Status FromRocks(const rocksdb::Status& s, const char* context) {
  if (s.ok()) return Status::Ok();
  const Code code = s.IsCorruption() ? Code::kDataLoss : Code::kInternal;
  return Status(code, std::string(context) + ": " + s.ToString());
}

std::unique_ptr<BoundedIterator> SnapshotReader::NewIterator(std::string upper_bound) {
  auto b = std::make_unique<BoundedIterator>();
  b->bound = std::move(upper_bound);
  SetOptions(b.get(), snapshot_);
  b->it.reset(db_->NewIterator(b->options));
  return b;
}

Status SnapshotReader::Get(const std::string& key, std::string* value, bool* found) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  rocksdb::Status s = db_->Get(ro, key, value);
  *found = s.ok();
  if (s.IsNotFound()) return Status::Ok();
  return FromRocks(s, "get");
}

std::unique_ptr<BoundedIterator> BatchReader::NewIterator(std::string upper_bound) {
  auto b = std::make_unique<BoundedIterator>();
  b->bound = std::move(upper_bound);
  SetOptions(b.get(), nullptr);
  b->it.reset(batch_->NewIteratorWithBase(db_->DefaultColumnFamily(), db_->NewIterator(b->options),
                                          &b->options));
  return b;
}

Status BatchReader::Get(const std::string& key, std::string* value, bool* found) {
  rocksdb::Status s = batch_->GetFromBatchAndDB(db_, rocksdb::ReadOptions(), key, value);
  *found = s.ok();
  if (s.IsNotFound()) return Status::Ok();
  return FromRocks(s, "get");
}

KeyRange MakeKeyRange(Slice key, Slice range_end) {
  KeyRange r;
  r.begin = DataKeyPrefix(key);
  if (range_end.empty()) {
    r.end = DataKeyPrefixEnd(key);
  } else if (range_end == Slice("\0", 1)) {
    r.end = DataSpaceEnd();
  } else if (key.compare(range_end) < 0) {
    r.end = DataKeyPrefix(range_end);
  } else {
    r.end = r.begin;  // empty
  }
  return r;
}

Status ScanLive(RawReader* reader, const KeyRange& range, int64_t revision,
                const VersionVisitor& visit) {
  if (range.begin >= range.end) return Status::Ok();
  std::unique_ptr<BoundedIterator> b = reader->NewIterator(range.end);
  rocksdb::Iterator* it = b->it.get();
  std::string prefix;
  std::string target;
  it->Seek(range.begin);
  // Invariant at the top: `it` is at the newest version of its user key
  // that has not been ruled out (all newer ones were above `revision`).
  while (it->Valid()) {
    const Slice raw = ToSlice(it->key());
    // The bound is enforced here as well: the batch overlay may not apply
    // it to its own entries.
    if (raw.compare(Slice(range.end)) >= 0) break;
    Result<int64_t> rev = DataKeyRevision(raw);
    if (!rev.ok()) return rev.status();
    prefix.assign(raw.data(), raw.size() - kRevisionBytes);
    // Checked here because the seeks below rely on it to move forward.
    if (prefix[prefix.size() - 2] != '\0' || prefix.back() != '\x01') {
      return Status(Code::kDataLoss, "malformed mvcc key: unterminated user key");
    }
    if (*rev > revision) {
      target = prefix;
      PutBigEndianInverted(&target, revision);
      it->Seek(target);
      continue;
    }
    const Slice value = ToSlice(it->value());
    if (!IsTombstone(value)) {
      if (!visit(raw, *rev, value)) return Status::Ok();
    }
    // Step to the next user key.
    bool moved = false;
    for (int i = 0; i < kNextsBeforeSeek; ++i) {
      it->Next();
      if (!it->Valid() || !SamePrefix(ToSlice(it->key()), prefix)) {
        moved = true;
        break;
      }
    }
    if (!moved) {
      prefix.back() = static_cast<char>(prefix.back() + 1);  // DataKeyPrefixEnd
      it->Seek(prefix);
    }
  }
  return FromRocks(it->status(), "scan");
}

}  // namespace cairn::kv
