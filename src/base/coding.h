#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "base/slice.h"

// Encodings used for everything Cairn writes to disk or the wire. All
// multi-byte integers are little-endian regardless of host, so files move
// between machines.
//
// Every Get* function consumes from the front of `input` on success and leaves
// `input` untouched on failure, so a caller can report where a bad record
// starts. None of them read past input->end(), whatever the bytes are.

namespace cairn {

constexpr int kMaxVarint32Length = 5;
constexpr int kMaxVarint64Length = 10;

// ---- Fixed width. Encode/Decode work on raw buffers the caller has sized.

inline void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    dst[i] = static_cast<char>(value >> (8 * i));
}

inline void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    dst[i] = static_cast<char>(value >> (8 * i));
}

// Reads exactly 4 (or 8) bytes at p; the caller guarantees they exist.
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
bool GetFixed32(Slice* input, uint32_t* value);
bool GetFixed64(Slice* input, uint64_t* value);

// ---- Varints: 7 bits per byte, low group first, high bit = "more follows".

// Bytes EncodeVarint64(v) writes; also right for EncodeVarint32 when v fits.
int VarintLength(uint64_t v);

// Write at dst (which must have room for kMaxVarint*Length bytes) and return
// one past the last byte written.
char* EncodeVarint32(char* dst, uint32_t v);
char* EncodeVarint64(char* dst, uint64_t v);

void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);

// Decode from [p, limit). Returns one past the varint, or nullptr if the bytes
// are truncated, longer than the type allows, overflow the type, or are not
// the shortest encoding of their value. Rejecting non-minimal forms keeps one
// value to one encoding, so equal records are equal bytes (and equal CRCs).
const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value);
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value);

bool GetVarint32(Slice* input, uint32_t* value);
bool GetVarint64(Slice* input, uint64_t* value);

// ---- Length-prefixed bytes: varint length, then that many bytes.

void PutLengthPrefixed(std::string* dst, Slice value);
// On success *result points into input's storage; it is not a copy.
bool GetLengthPrefixed(Slice* input, Slice* result);

}  // namespace cairn
