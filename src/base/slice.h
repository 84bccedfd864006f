#pragma once

#include <cassert>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

// A non-owning view of bytes. A wrapper rather than a bare std::string_view so
// that signatures say "bytes, not text" and so that comparisons are pinned to
// unsigned bytewise order (the order keys sort in on disk).
class Slice {
 public:
  constexpr Slice() = default;
  constexpr Slice(const char* data, size_t size) : v_(data, size) {}
  Slice(const uint8_t* data, size_t size) : v_(reinterpret_cast<const char*>(data), size) {}
  constexpr Slice(std::string_view v) : v_(v) {}  // NOLINT: implicit by design
  Slice(const std::string& s) : v_(s) {}          // NOLINT: implicit by design
  constexpr Slice(const char* s) : v_(s) {}       // NOLINT: implicit by design

  constexpr const char* data() const { return v_.data(); }
  constexpr size_t size() const { return v_.size(); }
  constexpr bool empty() const { return v_.empty(); }
  constexpr const char* begin() const { return v_.data(); }
  constexpr const char* end() const { return v_.data() + v_.size(); }

  constexpr char operator[](size_t i) const {
    assert(i < size());
    return v_[i];
  }
  // Bytes are usually wanted unsigned; saves a cast at every varint/CRC site.
  constexpr uint8_t byte(size_t i) const { return static_cast<uint8_t>((*this)[i]); }

  constexpr void remove_prefix(size_t n) {
    assert(n <= size());
    v_.remove_prefix(n);
  }
  constexpr void remove_suffix(size_t n) {
    assert(n <= size());
    v_.remove_suffix(n);
  }
  constexpr bool starts_with(Slice prefix) const { return v_.starts_with(prefix.v_); }

  // <0, 0, >0 in unsigned bytewise order (char_traits<char> compares as
  // unsigned char, like memcmp).
  constexpr int compare(Slice other) const { return v_.compare(other.v_); }

  std::string ToString() const { return std::string(v_); }
  constexpr std::string_view view() const { return v_; }
  constexpr operator std::string_view() const { return v_; }  // NOLINT: implicit by design

  friend constexpr bool operator==(Slice a, Slice b) { return a.v_ == b.v_; }
  friend constexpr std::strong_ordering operator<=>(Slice a, Slice b) { return a.compare(b) <=> 0; }

 private:
  std::string_view v_;
};

}  // namespace cairn
