// Feeds arbitrary bytes to the WAL's record and payload decoders and to
// recovery of a whole segment. Nothing may crash, read out of bounds, or
// accept bytes that do not re-encode to themselves.
#include <cstdint>
#include <cstdlib>

#include "mem_fs.h"
#include "storage/wal_record.h"
#include "storage/wal_recovery.h"

using namespace cairn;
using namespace cairn::storage;

namespace {

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

void DecodePayloads(Slice payload) {
  raft::Entry e;
  if (DecodeEntry(payload, &e).ok()) {
    std::string again;
    EncodeEntry(&again, e);
    raft::Entry back;
    Require(DecodeEntry(again, &back).ok() && back == e);
  }
  raft::HardState hs;
  if (DecodeHardState(payload, &hs).ok()) {
    raft::HardState back;
    Require(DecodeHardState(EncodeHardState(hs), &back).ok() && back == hs);
  }
  raft::SnapshotMeta meta;
  if (DecodeSnapshotMeta(payload, &meta).ok()) {
    raft::SnapshotMeta back;
    Require(DecodeSnapshotMeta(EncodeSnapshotMeta(meta), &back).ok() && back == meta);
  }
  uint64_t seq;
  (void)DecodeSegmentHeader(payload, &seq);
}

void DecodeRecords(Slice in) {
  while (!in.empty()) {
    RecordView rec;
    std::string why;
    if (DecodeRecord(in, &rec, &why) != DecodeOutcome::kRecord) return;
    Require(rec.encoded_size <= in.size());
    std::string again;
    AppendRecord(&again, rec.type, rec.group, rec.batch, rec.payload);
    Require(Slice(again) == Slice(in.data(), rec.encoded_size));
    DecodePayloads(rec.payload);
    in.remove_prefix(rec.encoded_size);
  }
}

// A valid segment header followed by the fuzzer's bytes, recovered as a WAL.
void Recover(Slice tail) {
  testing::MemFs fs(1);
  std::string segment;
  AppendRecord(&segment, RecordType::kSegmentHeader, 0, 1, EncodeSegmentHeader(1));
  segment.append(tail.data(), tail.size());
  auto file = fs.CreateFile("/wal/" + SegmentFileName(1), 0);
  Require(file.ok());
  Require((*file)->WriteAt(0, segment).ok());
  Result<RecoveredWal> r = RecoverWal(&fs, "/wal");
  if (!r.ok()) return;
  for (const auto& [group, log] : r->groups) {
    Require(log.last_index() + 1 >= log.first_index());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Slice in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      DecodeRecords(in);
      break;
    case 1:
      DecodePayloads(in);
      break;
    default:
      Recover(in);
      break;
  }
  return 0;
}
