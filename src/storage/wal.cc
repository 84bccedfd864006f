#include "storage/wal.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "base/logging.h"
#include "base/metrics.h"
#include "storage/wal_record.h"
#include "storage/write_check.h"

namespace cairn::storage {

namespace {

// An error that must stop the WAL, even if it is a lack of space.
Status Final(const Status& s) {
  if (s.code() != Code::kResourceExhausted) return s;
  return Status(Code::kInternal, s.message());
}

bool IsNoSpace(const Status& s) {
  return s.code() == Code::kResourceExhausted;
}

// A record encoded into the batch buffer, and what it changes in the index
// once it is durable.
struct Encoded {
  uint64_t group;
  RecordType type;
  uint64_t offset;  // within the batch body
  uint32_t size;
  const raft::Entry* entry = nullptr;
  const raft::SnapshotMeta* snapshot = nullptr;
  const raft::HardState* hard_state = nullptr;
};

}  // namespace

size_t GroupWrite::ByteSize() const {
  size_t n = 64;
  for (const raft::Entry& e : entries)
    n += e.ByteSize() + kRecordHeaderSize;
  return n;
}

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, WalOptions options, FileSystem* fs) {
  Status s = fs->CreateDirs(dir);
  if (s.ok()) {
    size_t slash = dir.find_last_of('/');
    s = fs->SyncDir(slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash));
  }
  if (!s.ok()) return s;
  Result<RecoveredWal> recovered = RecoverWal(fs, dir);
  if (!recovered.ok()) return recovered.status();
  if (!recovered->repaired.empty()) {
    CAIRN_LOG(WARN) << "wal: " << recovered->repaired;
  }
  std::unique_ptr<Wal> wal(new Wal(dir, options, fs, std::move(*recovered)));
  if (wal->acks_before_sync()) {
    CAIRN_LOG(WARN) << "wal: UNSAFE planted bug: writes are acknowledged before they are on disk "
                       "(written every "
                    << options.unsafe_ack_before_sync.count() << " ms); for tests only";
    wal->thread_ = std::thread([w = wal.get()] { w->RunAckingBeforeSync(); });
  } else {
    wal->thread_ = std::thread([w = wal.get()] { w->Run(); });
  }
  wal->notifier_ = std::thread([w = wal.get()] { w->RunNotifier(); });
  return wal;
}

Wal::Wal(std::string dir, WalOptions options, FileSystem* fs, RecoveredWal recovered)
    : dir_(std::move(dir)),
      options_(options),
      fs_(fs),
      recovery_note_(std::move(recovered.repaired)),
      groups_(std::move(recovered.groups)),
      segments_(std::move(recovered.segments)),
      cache_(options.cache_bytes) {
  next_batch_ = recovered.last_batch + 1;
  next_segment_ = segments_.empty() ? 1 : segments_.back().seq + 1;
}

Wal::~Wal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(notify_mu_);
    notify_stop_ = true;
  }
  notify_cv_.notify_all();
  if (notifier_.joinable()) notifier_.join();
  if (active_) (void)active_->Close();
}

void Wal::Submit(std::vector<GroupWrite> writes, Done done) {
  size_t bytes = 0;
  for (const GroupWrite& w : writes)
    bytes += w.ByteSize();
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_.ok()) {
      refused = failed_;
    } else if (stopping_) {
      refused = Status(Code::kUnavailable, "wal: closed");
    } else if (queued_bytes_ > 0 && queued_bytes_ + bytes > options_.max_pending_bytes) {
      refused = Status(Code::kResourceExhausted, "wal: too many pending writes (" +
                                                     std::to_string(queued_bytes_) +
                                                     " bytes waiting for the disk)");
    } else {
      queue_.push_back(Request{std::move(writes), std::move(done), bytes, Status::Ok()});
      queued_bytes_ += bytes;
    }
  }
  if (!refused.ok()) {
    done(refused);
    return;
  }
  cv_.notify_one();
}

Status Wal::Write(std::vector<GroupWrite> writes) {
  std::promise<Status> promise;
  std::future<Status> result = promise.get_future();
  Submit(std::move(writes), [&promise](Status s) { promise.set_value(std::move(s)); });
  return result.get();
}

void Wal::Run() {
  std::vector<Request> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything was written
      batch.clear();
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Status s = WriteBatch(batch);
    if (IsNoSpace(s)) {
      std::unique_lock<std::mutex> lock(mu_);
      if (no_space_.empty()) CAIRN_LOG(ERROR) << s.message() << "; waiting for free space";
      no_space_ = s.message();
      if (!stopping_) {
        // Nothing of this batch reached the file: put it back, in order.
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
          it->result = Status::Ok();
          queue_.push_front(std::move(*it));
        }
        cv_.wait_for(lock, std::chrono::milliseconds(options_.no_space_retry_ms),
                     [&] { return stopping_; });
        continue;
      }
      s = Status(Code::kUnavailable, "wal: closed while waiting for disk space: " + s.message());
    }
    size_t bytes = 0;
    for (Request& r : batch) {
      bytes += r.bytes;
      if (r.result.ok()) r.result = s;  // some may have been refused on their own
    }
    if (!s.ok()) {
      Fail(s, std::move(batch));
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!no_space_.empty()) CAIRN_LOG(INFO) << "wal: disk space is available again";
      no_space_.clear();
      queued_bytes_ -= bytes;
    }
    Notify(std::move(batch));
    batch = {};
  }
}

void Wal::Notify(std::vector<Request> done) {
  if (options_.callbacks_on_wal_thread) {
    for (Request& r : done) {
      if (r.done) r.done(r.result);
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(notify_mu_);
    for (Request& r : done)
      notify_queue_.push_back(std::move(r));
  }
  notify_cv_.notify_one();
}

void Wal::RunNotifier() {
  std::deque<Request> ready;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(notify_mu_);
      notify_cv_.wait(lock, [&] { return notify_stop_ || !notify_queue_.empty(); });
      if (notify_queue_.empty()) return;
      ready.swap(notify_queue_);
    }
    for (Request& r : ready) {
      if (r.done) r.done(r.result);
    }
    ready.clear();
  }
}

void Wal::Fail(const Status& status, std::vector<Request> batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_.ok()) {
      failed_ = Status(status.code() == Code::kResourceExhausted ? Code::kInternal : status.code(),
                       "wal: stopped after a failed write or sync; restart to recover from "
                       "what is on disk: " +
                           status.message());
      CAIRN_LOG(ERROR) << failed_.message();
    }
    for (Request& r : queue_) {
      r.result = failed_;
      batch.push_back(std::move(r));
    }
    queue_.clear();
    queued_bytes_ = 0;
  }
  Notify(std::move(batch));
}

Status Wal::WriteBatch(std::vector<Request>& batch) {
  const uint64_t batch_no = next_batch_;
  WriteCheck check(groups_);
  std::string body;
  std::vector<Encoded> encoded;
  for (Request& r : batch) {
    if (!check.Accept(r.writes)) {
      r.result = Status(Code::kInvalidArgument, "wal: entries would leave a gap in the log");
      continue;
    }
    for (const GroupWrite& w : r.writes) {
      auto add = [&](RecordType type, Slice payload) {
        uint64_t off = body.size();
        AppendRecord(&body, type, w.group, batch_no, payload);
        encoded.push_back(Encoded{w.group, type, off, static_cast<uint32_t>(body.size() - off)});
        return &encoded.back();
      };
      if (w.snapshot)
        add(RecordType::kSnapshot, EncodeSnapshotMeta(*w.snapshot))->snapshot = &*w.snapshot;
      std::string payload;
      for (const raft::Entry& e : w.entries) {
        payload.clear();
        EncodeEntry(&payload, e);
        add(RecordType::kEntry, payload)->entry = &e;
      }
      if (w.hard_state)
        add(RecordType::kHardState, EncodeHardState(*w.hard_state))->hard_state = &*w.hard_state;
    }
  }
  if (encoded.empty()) return Status::Ok();

  std::string prefix;
  if (!active_ || active_offset_ + body.size() > options_.segment_bytes) {
    Status s = StartSegment(body.size(), &prefix);
    if (!s.ok()) return s;
  }
  const uint64_t base = active_offset_ + prefix.size();
  Status s = prefix.empty() ? Status::Ok() : active_->WriteAt(active_offset_, prefix);
  if (s.ok()) s = active_->WriteAt(base, body);
  // From here on every error is final, ENOSPC included: on filesystems that
  // cannot reserve space (NFS, copy-on-write) a write or sync may still run
  // out of it, and after a failed write or sync nothing can be retried.
  auto start = std::chrono::steady_clock::now();
  if (s.ok()) s = active_->Sync();
  auto sync_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  // A failed write or sync is final (see the class comment): even a retry
  // that succeeds cannot prove the earlier pages reached the disk.
  if (!s.ok()) return Final(s);
  if (sync_nanos >= options_.slow_sync.count() * 1000000) {
    // etcd's "slow fdatasync" warning: a leader stuck here misses its
    // heartbeats, so this line usually precedes an election.
    CAIRN_LOG(WARN) << "wal: slow fdatasync: " << sync_nanos / 1000000 << " ms for "
                    << encoded.size() << " record(s), " << prefix.size() + body.size()
                    << " bytes (expected under " << options_.slow_sync.count()
                    << " ms): the disk is slow or shared";
  }
  active_offset_ = base + body.size();
  ++next_batch_;

  std::lock_guard<std::mutex> lock(mu_);
  SegmentInfo& seg = segments_.back();
  for (const Encoded& e : encoded) {
    GroupLog& log = groups_[e.group];
    if (e.snapshot) {
      log.ApplySnapshot(*e.snapshot);
      cache_.DropUpTo(e.group, e.snapshot->index);
    } else if (e.entry) {
      EntryLocation loc{seg.seq, base + e.offset, e.size, e.entry->term};
      Status appended = log.AppendEntry(e.entry->index, loc);
      CAIRN_CHECK(appended.ok()) << appended.message();
      cache_.Add(e.group, *e.entry);
      raft::Index& max = seg.max_index[e.group];
      max = std::max(max, e.entry->index);
    } else if (e.hard_state) {
      log.hard_state = *e.hard_state;
    }
  }
  seg.end = active_offset_;
  stats_.batches++;
  stats_.records += encoded.size();
  stats_.bytes += prefix.size() + body.size();
  stats_.syncs++;
  stats_.sync_nanos += static_cast<uint64_t>(sync_nanos);
  if (options_.fsync_seconds)
    options_.fsync_seconds->Observe(static_cast<double>(sync_nanos) / 1e9);
  if (options_.batch_records) options_.batch_records->Observe(static_cast<double>(encoded.size()));
  stats_.max_batch_records = std::max<uint64_t>(stats_.max_batch_records, encoded.size());
  DeleteCoveredSegments();
  return Status::Ok();
}

Status Wal::StartSegment(uint64_t needed, std::string* prefix) {
  std::string header_and_state;
  uint64_t seq = next_segment_;
  AppendRecord(&header_and_state, RecordType::kSegmentHeader, 0, next_batch_,
               EncodeSegmentHeader(seq));
  // Every segment restates each group's snapshot point and hard state, so
  // older segments can be deleted as soon as their entries are covered.
  for (const auto& [group, log] : groups_) {
    if (log.snapshot.index > 0) {
      AppendRecord(&header_and_state, RecordType::kSnapshot, group, next_batch_,
                   EncodeSnapshotMeta(log.snapshot));
    }
    if (log.hard_state != raft::HardState{}) {
      AppendRecord(&header_and_state, RecordType::kHardState, group, next_batch_,
                   EncodeHardState(log.hard_state));
    }
  }
  const std::string path = dir_ + "/" + SegmentFileName(seq);
  uint64_t size = std::max(options_.segment_bytes, header_and_state.size() + needed);
  // Running out of space here is the one error the WAL waits out: the
  // file is not there, nothing of the batch was written.
  Result<std::unique_ptr<WritableFile>> file = fs_->CreateFile(path, size);
  if (!file.ok()) return file.status();
  Status s = fs_->SyncDir(dir_);
  if (!s.ok()) {
    (void)fs_->DeleteFile(path);
    return Final(s);
  }
  if (active_) {
    s = active_->Close();  // synced already; a close error changes nothing durable
    if (!s.ok()) CAIRN_LOG(WARN) << "wal: " << s.message();
  }
  active_ = std::move(*file);
  active_offset_ = 0;
  ++next_segment_;
  *prefix = std::move(header_and_state);
  std::lock_guard<std::mutex> lock(mu_);
  segments_.push_back(SegmentInfo{seq, path, 0, {}});
  stats_.segments_created++;
  return Status::Ok();
}

void Wal::DeleteCoveredSegments() {
  while (segments_.size() > 1) {
    const SegmentInfo& seg = segments_.front();
    // Only once the snapshot that covers it is durable (it was in this or an
    // earlier batch). Recovery then sees the remaining entries start after a
    // hole that a later snapshot record fills (see GroupLog).
    bool covered = std::all_of(seg.max_index.begin(), seg.max_index.end(), [&](const auto& kv) {
      auto g = groups_.find(kv.first);
      return g == groups_.end() || g->second.snapshot.index >= kv.second;
    });
    if (!covered) return;
    // One directory sync per deletion: unlinks could otherwise reach the
    // disk out of order, and a crash leave a gap in the segment numbers.
    Status s = fs_->DeleteFile(seg.path);
    if (s.ok() || s.code() == Code::kNotFound) s = fs_->SyncDir(dir_);
    if (!s.ok()) {
      CAIRN_LOG(WARN) << "wal: cannot delete covered segment: " << s.message();
      return;
    }
    readers_.erase(seg.seq);
    segments_.erase(segments_.begin());
    stats_.segments_deleted++;
  }
}

std::map<uint64_t, Wal::GroupState> Wal::Groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<uint64_t, GroupState> out;
  for (const auto& [id, log] : groups_) {
    out[id] = GroupState{log.snapshot, log.hard_state, log.first_index(), log.last_index()};
  }
  return out;
}

std::optional<Wal::GroupState> Wal::Group(uint64_t group) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  const GroupLog& log = it->second;
  return GroupState{log.snapshot, log.hard_state, log.first_index(), log.last_index()};
}

std::optional<raft::Term> Wal::Term(uint64_t group, raft::Index index) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  return it->second.TermAt(index);
}

Result<std::vector<raft::Entry>> Wal::Entries(uint64_t group, raft::Index lo, raft::Index hi,
                                              size_t max_bytes) const {
  struct Slot {
    raft::Entry entry;  // filled from the cache, or from disk below
    EntryLocation loc;
    std::shared_ptr<ReadableFile> file;
  };
  std::vector<Slot> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group);
    raft::Index first = it == groups_.end() ? 1 : it->second.first_index();
    raft::Index last = it == groups_.end() ? 0 : it->second.last_index();
    if (lo < first) {
      return Status(Code::kOutOfRange, "wal: entry " + std::to_string(lo) + " of group " +
                                           std::to_string(group) + " is compacted (first index " +
                                           std::to_string(first) + ")");
    }
    if (hi > last + 1 || lo >= hi) {
      return Status(Code::kOutOfRange,
                    "wal: entries [" + std::to_string(lo) + ", " + std::to_string(hi) +
                        ") of group " + std::to_string(group) + " are not in the log (last index " +
                        std::to_string(last) + ")");
    }
    size_t bytes = 0;
    for (raft::Index i = lo; i < hi; ++i) {
      Slot slot;
      if (const raft::Entry* cached = cache_.Get(group, i)) {
        slot.entry = *cached;
        bytes += cached->ByteSize();
      } else {
        slot.loc = *it->second.Find(i);
        auto& reader = readers_[slot.loc.segment];
        if (!reader) {
          const SegmentInfo* seg = nullptr;
          for (const SegmentInfo& s : segments_) {
            if (s.seq == slot.loc.segment) seg = &s;
          }
          CAIRN_CHECK(seg != nullptr) << "entry in a segment the WAL no longer has";
          Result<std::unique_ptr<ReadableFile>> f = fs_->OpenForRead(seg->path);
          if (!f.ok()) {
            readers_.erase(slot.loc.segment);
            return f.status();
          }
          reader = std::move(*f);
        }
        slot.file = reader;
        bytes += slot.loc.size;
      }
      slots.push_back(std::move(slot));
      if (bytes > max_bytes) break;
    }
  }
  std::vector<raft::Entry> out;
  out.reserve(slots.size());
  std::string buf;
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot& slot = slots[i];
    if (slot.file) {
      Status s = slot.file->ReadAt(slot.loc.offset, slot.loc.size, &buf);
      RecordView rec;
      std::string why;
      if (s.ok() && DecodeRecord(buf, &rec, &why) != DecodeOutcome::kRecord) {
        s = Status(Code::kDataLoss, "wal: " + (buf.size() < slot.loc.size ? "short read" : why));
      }
      if (s.ok()) s = DecodeEntry(rec.payload, &slot.entry);
      if (s.ok() && (rec.type != RecordType::kEntry || rec.group != group ||
                     slot.entry.index != lo + i || slot.entry.term != slot.loc.term)) {
        s = Status(Code::kDataLoss, "wal: record does not hold the entry the index points to");
      }
      if (!s.ok()) {
        return Status(s.code(), s.message() + " (group " + std::to_string(group) + " entry " +
                                    std::to_string(lo + i) + ", segment " +
                                    SegmentFileName(slot.loc.segment) + " offset " +
                                    std::to_string(slot.loc.offset) + ")");
      }
    }
    out.push_back(std::move(slot.entry));
  }
  return out;
}

Status Wal::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

std::string Wal::waiting_for_space() const {
  std::lock_guard<std::mutex> lock(mu_);
  return no_space_;
}

WalStats Wal::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t Wal::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}

}  // namespace cairn::storage
