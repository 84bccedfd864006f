#pragma once

#include <cstdint>
#include <string>

#include "base/slice.h"
#include "base/status.h"

// The value stored under a data key, and under a change-log key.
//
//   version record:  flags(1) | varint create_revision | varint version
//                    | varint lease (int64 bits) | user value (the rest)
//   tombstone:       flags(1) with kTombstone set, nothing else
//   change record:   type(1: 0 put, 1 delete) | user key (the rest)
//
// The mod revision is the data key's revision and is not repeated here.
namespace cairn::kv {

inline constexpr uint8_t kTombstoneFlag = 0x01;

struct VersionRecord {
  int64_t create_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
  Slice value;  // points into the decoded bytes
};

void EncodeVersion(std::string* out, int64_t create_revision, int64_t version, int64_t lease,
                   Slice value);
void EncodeTombstone(std::string* out);

// Cheap test on the first byte; false for malformed bytes too (the full
// decoder reports those).
inline bool IsTombstone(Slice encoded) {
  return encoded.size() == 1 && (encoded.byte(0) & kTombstoneFlag) != 0;
}

// Strict: unknown flags, a tombstone with a body, non-positive revisions or
// versions and truncated varints are DataLoss. *tombstone tells which kind.
Status DecodeVersion(Slice encoded, bool* tombstone, VersionRecord* record);

enum class ChangeType : uint8_t { kPut = 0, kDelete = 1 };
void EncodeChange(std::string* out, ChangeType type, Slice user_key);
Status DecodeChange(Slice encoded, ChangeType* type, Slice* user_key);

}  // namespace cairn::kv
