#include "storage/wal_recovery.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "storage/wal_record.h"

namespace cairn::storage {

std::string SegmentFileName(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 ".wal", seq);
  return buf;
}

bool ParseSegmentFileName(const std::string& name, uint64_t* seq) {
  if (name.size() != 20 || name.substr(16) != ".wal") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = name[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *seq = v;
  return true;
}

namespace {

struct Found {
  size_t segment_pos;  // index into the segment list
  uint64_t offset;
  uint64_t batch;
};

Result<std::string> ReadWhole(FileSystem* fs, const std::string& path) {
  Result<std::unique_ptr<ReadableFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  Result<uint64_t> size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string data;
  Status s = (*file)->ReadAt(0, *size, &data);
  if (!s.ok()) return s;
  return data;
}

// Every valid record at or after `from`, found by trying each byte offset
// (after damage, record boundaries are unknown).
void ScanForRecords(Slice data, uint64_t from, size_t segment_pos, std::vector<Found>* out) {
  uint64_t pos = from;
  while (pos < data.size()) {
    if (data[pos] == 0) {
      // Preallocated space is zeros; skip it fast. A record's type byte (at
      // offset 8) is never zero, so no record starts more than 8 bytes
      // before the next non-zero byte.
      const char* nz = std::find_if(data.begin() + pos, data.end(), [](char c) { return c != 0; });
      uint64_t next = static_cast<uint64_t>(nz - data.begin());
      if (next >= data.size()) return;
      if (next > pos + 8) pos = next - 8;  // else a record may start right here
    }
    RecordView rec;
    Slice rest(data.data() + pos, data.size() - pos);
    if (DecodeRecord(rest, &rec) == DecodeOutcome::kRecord) {
      out->push_back({segment_pos, pos, rec.batch});
      pos += rec.encoded_size;
    } else {
      ++pos;
    }
  }
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%" PRIu64, v);
  return buf;
}

class Recovery {
 public:
  Recovery(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}

  Result<RecoveredWal> Run() {
    Status s = ListSegments();
    if (!s.ok()) return s;
    for (size_t i = 0; i < seqs_.size(); ++i) {
      bool stop = false;
      s = ReplaySegment(i, &stop);
      if (!s.ok()) return s;
      if (stop) break;
    }
    for (const auto& [group, log] : out_.groups) {
      if (log.hole_pending) {
        return Status(Code::kDataLoss,
                      "wal: group " + std::to_string(group) + " has no entries before " +
                          std::to_string(log.first_index()) +
                          " and no snapshot covers them: a segment is missing from " + dir_);
      }
    }
    return std::move(out_);
  }

 private:
  std::string PathOf(size_t pos) const { return dir_ + "/" + SegmentFileName(seqs_[pos]); }

  Status ListSegments() {
    Result<std::vector<std::string>> names = fs_->ListDir(dir_);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      uint64_t seq;
      if (ParseSegmentFileName(name, &seq)) seqs_.push_back(seq);
    }
    std::sort(seqs_.begin(), seqs_.end());
    for (size_t i = 1; i < seqs_.size(); ++i) {
      if (seqs_[i] != seqs_[i - 1] + 1) {
        return Status(Code::kDataLoss, "wal: segment " + SegmentFileName(seqs_[i - 1] + 1) +
                                           " is missing from " + dir_ + " (found " +
                                           SegmentFileName(seqs_[i]) + " after " +
                                           SegmentFileName(seqs_[i - 1]) + ")");
      }
    }
    return Status::Ok();
  }

  Status Corrupt(size_t pos, uint64_t offset, const std::string& why) const {
    return Status(Code::kDataLoss, "wal: corrupt record in " + PathOf(pos) + " at offset " +
                                       Hex(offset) + ": " + why);
  }

  Status ReplaySegment(size_t pos, bool* stop) {
    Result<std::string> data_or = ReadWhole(fs_, PathOf(pos));
    if (!data_or.ok()) return data_or.status();
    const std::string& data = *data_or;
    SegmentInfo seg;
    seg.seq = seqs_[pos];
    seg.path = PathOf(pos);
    uint64_t offset = 0;
    while (true) {
      RecordView rec;
      std::string why;
      Slice rest(data.data() + offset, data.size() - offset);
      DecodeOutcome outcome =
          offset >= data.size() ? DecodeOutcome::kZeros : DecodeRecord(rest, &rec, &why);
      if (outcome != DecodeOutcome::kRecord) {
        return EndOfData(pos, data, offset, outcome, why, std::move(seg), stop);
      }
      Status s = ApplyRecord(pos, offset, rec, &seg);
      if (!s.ok()) return s;
      offset += rec.encoded_size;
      seg.end = offset;
    }
  }

  Status ApplyRecord(size_t pos, uint64_t offset, const RecordView& rec, SegmentInfo* seg) {
    if (offset == 0) {
      uint64_t seq = 0;
      if (rec.type != RecordType::kSegmentHeader) {
        return Corrupt(pos, offset, "segment does not start with a segment header");
      }
      Status s = DecodeSegmentHeader(rec.payload, &seq);
      if (!s.ok()) return Corrupt(pos, offset, s.message());
      if (seq != seqs_[pos]) return Corrupt(pos, offset, "segment header names another segment");
    } else if (rec.type == RecordType::kSegmentHeader) {
      return Corrupt(pos, offset, "segment header in the middle of a segment");
    }
    if (rec.batch < out_.last_batch) {
      return Corrupt(pos, offset, "batch number goes backwards");
    }
    // Batches are numbered consecutively, so a whole batch lost in the
    // middle of the log (a zeroed page that happened to hold exactly it)
    // shows as a jump.
    if (out_.records > 0 && rec.batch > out_.last_batch + 1) {
      return Corrupt(pos, offset,
                     "batch " + std::to_string(out_.last_batch + 1) + " is missing before batch " +
                         std::to_string(rec.batch));
    }
    out_.last_batch = rec.batch;
    ++out_.records;
    switch (rec.type) {
      case RecordType::kSegmentHeader:
        return Status::Ok();
      case RecordType::kEntry: {
        raft::Entry entry;
        Status s = DecodeEntry(rec.payload, &entry);
        if (!s.ok()) return Corrupt(pos, offset, s.message());
        EntryLocation loc{seg->seq, offset, static_cast<uint32_t>(rec.encoded_size), entry.term};
        s = out_.groups[rec.group].AppendEntry(entry.index, loc, /*hole_allowed=*/true);
        if (!s.ok()) return Corrupt(pos, offset, s.message());
        raft::Index& max = seg->max_index[rec.group];
        max = std::max(max, entry.index);
        return Status::Ok();
      }
      case RecordType::kHardState: {
        raft::HardState hs;
        Status s = DecodeHardState(rec.payload, &hs);
        if (!s.ok()) return Corrupt(pos, offset, s.message());
        out_.groups[rec.group].hard_state = hs;
        return Status::Ok();
      }
      case RecordType::kSnapshot: {
        raft::SnapshotMeta meta;
        Status s = DecodeSnapshotMeta(rec.payload, &meta);
        if (!s.ok()) return Corrupt(pos, offset, s.message());
        out_.groups[rec.group].ApplySnapshot(meta);
        return Status::Ok();
      }
    }
    return Corrupt(pos, offset, "unknown record type");
  }

  // The records of segment `pos` end at `offset`, cleanly (zeros) or not.
  // Decides between "end of the log", "torn tail" and "corruption".
  Status EndOfData(size_t pos, const std::string& data, uint64_t offset, DecodeOutcome outcome,
                   const std::string& why, SegmentInfo seg, bool* stop) {
    std::vector<Found> after;
    ScanForRecords(data, offset + 1, pos, &after);
    bool last = pos + 1 == seqs_.size();
    // An empty segment followed by others cannot come from a crash (the next
    // segment is created only after this one was written): treat as damage.
    bool damaged = outcome == DecodeOutcome::kInvalid || (offset == 0 && !last);
    if (damaged || !after.empty()) {
      // A write cut short can only be the last thing written: whatever
      // follows, in this segment or later ones, decides if this is one.
      for (size_t later = pos + 1; later < seqs_.size(); ++later) {
        Result<std::string> more = ReadWhole(fs_, PathOf(later));
        if (!more.ok()) return more.status();
        ScanForRecords(*more, 0, later, &after);
      }
    }
    if (!after.empty()) {
      // One batch may be half on disk, in any page order; nothing can follow it.
      bool one_torn_batch = std::all_of(after.begin(), after.end(), [&](const Found& f) {
        return f.segment_pos == pos && f.batch == after.front().batch && f.batch >= out_.last_batch;
      });
      if (!one_torn_batch) {
        const Found& f = after.front();
        return Corrupt(pos, offset,
                       (damaged ? why : std::string("zeroed region")) + "; " +
                           std::to_string(after.size()) + " valid record(s) follow (first in " +
                           PathOf(f.segment_pos) + " at offset " + Hex(f.offset) +
                           "), so this is not a torn write. Refusing to start: this member's "
                           "log is damaged; remove its data directory and re-add it from the "
                           "cluster");
      }
      damaged = true;
    }
    if (!damaged && offset > 0) {
      out_.segments.push_back(std::move(seg));
      return Status::Ok();  // the normal end of a segment
    }
    // Cut the torn tail off, and every later segment (they hold no records).
    if (offset == 0) {
      Status s = fs_->DeleteFile(PathOf(pos));
      if (!s.ok()) return s;
    } else {
      Status s = fs_->Truncate(PathOf(pos), offset);
      if (s.ok()) {
        Result<std::unique_ptr<WritableFile>> f = fs_->ReopenFile(PathOf(pos));
        s = f.ok() ? (*f)->Sync() : f.status();
      }
      if (!s.ok()) return s;
      out_.segments.push_back(std::move(seg));
    }
    for (size_t later = pos + 1; later < seqs_.size(); ++later) {
      Status s = fs_->DeleteFile(PathOf(later));
      if (!s.ok()) return s;
    }
    Status s = fs_->SyncDir(dir_);
    if (!s.ok()) return s;
    if (damaged || !last) {
      out_.repaired =
          "cut a torn tail at " + PathOf(pos) + " offset " + Hex(offset) +
          (damaged ? " (" + (why.empty() ? std::string("torn batch") : why) + ")" : std::string()) +
          "; " + std::to_string(data.size() - offset) + " byte(s) of the segment and " +
          std::to_string(seqs_.size() - pos - 1) + " later segment(s) dropped";
    }
    *stop = true;
    return Status::Ok();
  }

  FileSystem* fs_;
  std::string dir_;
  std::vector<uint64_t> seqs_;
  RecoveredWal out_;
};

}  // namespace

Result<RecoveredWal> RecoverWal(FileSystem* fs, const std::string& dir) {
  return Recovery(fs, dir).Run();
}

}  // namespace cairn::storage
