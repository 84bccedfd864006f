#include "storage/wal_record.h"

#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"

namespace cairn::storage {

namespace {

bool KnownType(uint8_t t) {
  return t >= 1 && t <= 4;
}

Status Malformed(const char* what) {
  return Status(Code::kDataLoss, std::string("wal: malformed ") + what + " payload");
}

void PutIds(std::string* dst, const std::vector<raft::NodeId>& ids) {
  PutVarint64(dst, ids.size());
  for (raft::NodeId id : ids)
    PutVarint64(dst, id);
}

bool GetIds(Slice* in, std::vector<raft::NodeId>* ids) {
  uint64_t n;
  // Each id takes at least one byte, which bounds `n` before reserving.
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  ids->clear();
  ids->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id;
    if (!GetVarint64(in, &id)) return false;
    ids->push_back(id);
  }
  return true;
}

}  // namespace

const char* RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kSegmentHeader:
      return "segment-header";
    case RecordType::kEntry:
      return "entry";
    case RecordType::kHardState:
      return "hard-state";
    case RecordType::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

void AppendRecord(std::string* dst, RecordType type, uint64_t group, uint64_t batch,
                  Slice payload) {
  size_t start = dst->size();
  dst->resize(start + kRecordHeaderSize);
  char* h = dst->data() + start;
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  h[8] = static_cast<char>(type);
  EncodeFixed64(h + 9, group);
  EncodeFixed64(h + 17, batch);
  dst->append(payload.data(), payload.size());
  const char* covered = dst->data() + start + 4;
  uint32_t crc = crc32c::Value(covered, kRecordHeaderSize - 4 + payload.size());
  EncodeFixed32(dst->data() + start, crc32c::Mask(crc));
}

DecodeOutcome DecodeRecord(Slice input, RecordView* out, std::string* why) {
  auto invalid = [&](const char* reason) {
    if (why != nullptr) *why = reason;
    return DecodeOutcome::kInvalid;
  };
  size_t header = std::min(input.size(), kRecordHeaderSize);
  bool all_zero = true;
  for (size_t i = 0; i < header; ++i) {
    if (input[i] != 0) {
      all_zero = false;
      break;
    }
  }
  if (all_zero) return DecodeOutcome::kZeros;
  if (input.size() < kRecordHeaderSize) return invalid("truncated header");
  const char* h = input.data();
  uint32_t length = DecodeFixed32(h + 4);
  uint8_t type = static_cast<uint8_t>(h[8]);
  if (!KnownType(type)) return invalid("unknown record type");
  if (length > kMaxRecordPayload) return invalid("impossible length");
  if (input.size() - kRecordHeaderSize < length) return invalid("truncated payload");
  uint32_t expected = crc32c::Unmask(DecodeFixed32(h));
  uint32_t actual = crc32c::Value(h + 4, kRecordHeaderSize - 4 + length);
  if (expected != actual) return invalid("checksum mismatch");
  out->type = static_cast<RecordType>(type);
  out->group = DecodeFixed64(h + 9);
  out->batch = DecodeFixed64(h + 17);
  out->payload = Slice(h + kRecordHeaderSize, length);
  out->encoded_size = kRecordHeaderSize + length;
  return DecodeOutcome::kRecord;
}

std::string EncodeSegmentHeader(uint64_t segment_seq) {
  std::string out(kSegmentMagic, sizeof(kSegmentMagic) - 1);
  PutVarint32(&out, kWalFormatVersion);
  PutVarint64(&out, segment_seq);
  return out;
}

Status DecodeSegmentHeader(Slice payload, uint64_t* segment_seq) {
  Slice magic(kSegmentMagic, sizeof(kSegmentMagic) - 1);
  if (!payload.starts_with(magic)) return Malformed("segment header (bad magic)");
  payload.remove_prefix(magic.size());
  uint32_t version;
  if (!GetVarint32(&payload, &version)) return Malformed("segment header");
  if (version != kWalFormatVersion) {
    return Status(Code::kFailedPrecondition, "wal: segment format version " +
                                                 std::to_string(version) +
                                                 " is not supported (this build reads version " +
                                                 std::to_string(kWalFormatVersion) + ")");
  }
  if (!GetVarint64(&payload, segment_seq) || !payload.empty()) {
    return Malformed("segment header");
  }
  return Status::Ok();
}

void EncodeEntry(std::string* dst, const raft::Entry& entry) {
  PutVarint64(dst, entry.index);
  PutVarint64(dst, entry.term);
  dst->push_back(static_cast<char>(entry.type));
  dst->append(entry.data);
}

Status DecodeEntry(Slice payload, raft::Entry* entry) {
  uint64_t index, term;
  if (!GetVarint64(&payload, &index) || !GetVarint64(&payload, &term) || payload.empty()) {
    return Malformed("entry");
  }
  uint8_t type = payload.byte(0);
  if (type > static_cast<uint8_t>(raft::EntryType::kConfChange)) return Malformed("entry type");
  payload.remove_prefix(1);
  entry->index = index;
  entry->term = term;
  entry->type = static_cast<raft::EntryType>(type);
  entry->data.assign(payload.data(), payload.size());
  return Status::Ok();
}

std::string EncodeHardState(const raft::HardState& hs) {
  std::string out;
  PutVarint64(&out, hs.term);
  PutVarint64(&out, hs.vote);
  PutVarint64(&out, hs.commit);
  return out;
}

Status DecodeHardState(Slice payload, raft::HardState* hs) {
  if (!GetVarint64(&payload, &hs->term) || !GetVarint64(&payload, &hs->vote) ||
      !GetVarint64(&payload, &hs->commit) || !payload.empty()) {
    return Malformed("hard state");
  }
  return Status::Ok();
}

std::string EncodeSnapshotMeta(const raft::SnapshotMeta& meta) {
  std::string out;
  PutVarint64(&out, meta.index);
  PutVarint64(&out, meta.term);
  PutIds(&out, meta.conf.voters);
  PutIds(&out, meta.conf.voters_outgoing);
  PutIds(&out, meta.conf.learners);
  PutIds(&out, meta.conf.learners_next);
  out.push_back(meta.conf.auto_leave ? 1 : 0);
  return out;
}

Status DecodeSnapshotMeta(Slice payload, raft::SnapshotMeta* meta) {
  if (!GetVarint64(&payload, &meta->index) || !GetVarint64(&payload, &meta->term) ||
      !GetIds(&payload, &meta->conf.voters) || !GetIds(&payload, &meta->conf.voters_outgoing) ||
      !GetIds(&payload, &meta->conf.learners) || !GetIds(&payload, &meta->conf.learners_next) ||
      payload.size() != 1 || payload.byte(0) > 1) {
    return Malformed("snapshot");
  }
  meta->conf.auto_leave = payload.byte(0) == 1;
  return Status::Ok();
}

}  // namespace cairn::storage
