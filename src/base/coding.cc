#include "base/coding.h"

namespace cairn {
namespace {

template <typename T, int kMaxBytes>
const char* GetVarintPtr(const char* p, const char* limit, T* value) {
  T result = 0;
  for (int i = 0; i < kMaxBytes && p < limit; ++i) {
    const uint8_t byte = static_cast<uint8_t>(*p++);
    const int shift = 7 * i;
    if (i == kMaxBytes - 1) {
      // The last permitted byte may only carry the bits the type has left; a
      // set high bit here would also mean "more follows", i.e. too long.
      const int bits_left = static_cast<int>(sizeof(T)) * 8 - shift;
      if ((byte >> bits_left) != 0) return nullptr;
    }
    result |= static_cast<T>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return nullptr;  // non-minimal: trailing zero group
      *value = result;
      return p;
    }
  }
  return nullptr;
}

}  // namespace

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

bool GetFixed32(Slice* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(Slice* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

char* EncodeVarint64(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

char* EncodeVarint32(char* dst, uint32_t v) {
  return EncodeVarint64(dst, v);
}

void PutVarint32(std::string* dst, uint32_t v) {
  char buf[kMaxVarint32Length];
  dst->append(buf, EncodeVarint32(buf, v) - buf);
}

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Length];
  dst->append(buf, EncodeVarint64(buf, v) - buf);
}

const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value) {
  return GetVarintPtr<uint32_t, kMaxVarint32Length>(p, limit, value);
}

const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value) {
  return GetVarintPtr<uint64_t, kMaxVarint64Length>(p, limit, value);
}

bool GetVarint32(Slice* input, uint32_t* value) {
  const char* next = GetVarint32Ptr(input->begin(), input->end(), value);
  if (next == nullptr) return false;
  input->remove_prefix(static_cast<size_t>(next - input->begin()));
  return true;
}

bool GetVarint64(Slice* input, uint64_t* value) {
  const char* next = GetVarint64Ptr(input->begin(), input->end(), value);
  if (next == nullptr) return false;
  input->remove_prefix(static_cast<size_t>(next - input->begin()));
  return true;
}

void PutLengthPrefixed(std::string* dst, Slice value) {
  PutVarint64(dst, value.size());
  dst->append(value.data(), value.size());
}

bool GetLengthPrefixed(Slice* input, Slice* result) {
  uint64_t len = 0;
  const char* start = GetVarint64Ptr(input->begin(), input->end(), &len);
  if (start == nullptr) return false;
  // Compare against what remains rather than computing start + len, which
  // could overflow the pointer for a hostile length.
  const auto remaining = static_cast<uint64_t>(input->end() - start);
  if (len > remaining) return false;
  *result = Slice(start, static_cast<size_t>(len));
  input->remove_prefix(static_cast<size_t>(start - input->begin()) + static_cast<size_t>(len));
  return true;
}

}  // namespace cairn
