#pragma once

#include <cstdint>
#include <string>

#include "base/slice.h"
#include "base/status.h"
#include "consensus/raft/types.h"

namespace cairn::storage {

// WAL record framing (all integers little-endian):
//
//   crc32c  u32  masked CRC32C of every byte after it (length .. payload)
//   length  u32  payload bytes
//   type    u8   RecordType
//   group   u64  consensus group the record belongs to (0: the WAL itself)
//   batch   u64  group-commit batch the record was written in
//   payload length bytes
//
// The batch number is what lets recovery tell a torn tail from corruption:
// only the last batch can be half-written, because a batch is written only
// after the previous one was fdatasync'ed.
enum class RecordType : uint8_t {
  kSegmentHeader = 1,
  kEntry = 2,
  kHardState = 3,
  kSnapshot = 4,
};

inline constexpr size_t kRecordHeaderSize = 4 + 4 + 1 + 8 + 8;
// Far above any entry the server accepts (requests are capped at a few MiB);
// a larger length field can only be garbage.
inline constexpr uint32_t kMaxRecordPayload = 256u << 20;
inline constexpr char kSegmentMagic[] = "CAIRNWAL";
inline constexpr uint32_t kWalFormatVersion = 1;

struct RecordView {
  RecordType type = RecordType::kEntry;
  uint64_t group = 0;
  uint64_t batch = 0;
  Slice payload;
  size_t encoded_size = 0;  // header + payload
};

enum class DecodeOutcome {
  kRecord,   // a valid record
  kZeros,    // only zero bytes where a header should start: the written data ends here
  kInvalid,  // anything else: bad CRC, impossible length or type, truncated
};

void AppendRecord(std::string* dst, RecordType type, uint64_t group, uint64_t batch, Slice payload);

// Decodes the record at the start of `input`. Never reads outside `input`.
// On kInvalid, `why` (if given) says what was wrong.
DecodeOutcome DecodeRecord(Slice input, RecordView* out, std::string* why = nullptr);

// Payloads. Decoders are strict: trailing bytes or truncation are errors.
std::string EncodeSegmentHeader(uint64_t segment_seq);
Status DecodeSegmentHeader(Slice payload, uint64_t* segment_seq);

void EncodeEntry(std::string* dst, const raft::Entry& entry);
Status DecodeEntry(Slice payload, raft::Entry* entry);

std::string EncodeHardState(const raft::HardState& hs);
Status DecodeHardState(Slice payload, raft::HardState* hs);

std::string EncodeSnapshotMeta(const raft::SnapshotMeta& meta);
Status DecodeSnapshotMeta(Slice payload, raft::SnapshotMeta* meta);

const char* RecordTypeName(RecordType type);

}  // namespace cairn::storage
