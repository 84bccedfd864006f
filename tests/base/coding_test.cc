#include "base/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/random.h"

namespace cairn {
namespace {

// Copies bytes into a heap block of exactly their size, so an over-read is a
// heap-buffer-overflow under the ASan build rather than a silent pass.
class ExactBuffer {
 public:
  explicit ExactBuffer(const std::string& bytes)
      : size_(bytes.size()), data_(new char[bytes.size() == 0 ? 1 : bytes.size()]) {
    bytes.copy(data_.get(), size_);
  }
  Slice slice() const { return Slice(data_.get(), size_); }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes)
    s.push_back(static_cast<char>(b));
  return s;
}

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ULL);
  EXPECT_EQ(s, Bytes({1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ULL);
}

TEST(CodingTest, FixedRoundTrip) {
  const std::vector<uint64_t> values = {
      0, 1, 0xff, 0x80000000u, 0xffffffffu, 0x8000000000000000ULL, UINT64_MAX};
  std::string s;
  for (uint64_t v : values) {
    PutFixed32(&s, static_cast<uint32_t>(v));
    PutFixed64(&s, v);
  }
  Slice in(s);
  for (uint64_t v : values) {
    uint32_t a;
    uint64_t b;
    ASSERT_TRUE(GetFixed32(&in, &a));
    ASSERT_TRUE(GetFixed64(&in, &b));
    EXPECT_EQ(a, static_cast<uint32_t>(v));
    EXPECT_EQ(b, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, FixedTruncatedFailsAndLeavesInput) {
  ExactBuffer buf(Bytes({1, 2, 3}));
  Slice in = buf.slice();
  uint32_t a;
  uint64_t b;
  EXPECT_FALSE(GetFixed32(&in, &a));
  EXPECT_FALSE(GetFixed64(&in, &b));
  EXPECT_EQ(in.size(), 3u);
}

std::vector<uint64_t> Varint64Samples() {
  std::vector<uint64_t> v = {0, 1, UINT64_MAX};
  for (int bits = 1; bits < 64; ++bits) {
    const uint64_t p = uint64_t{1} << bits;
    v.push_back(p - 1);
    v.push_back(p);
    v.push_back(p + 1);
  }
  return v;
}

TEST(CodingTest, Varint64RoundTrip) {
  const auto values = Varint64Samples();
  std::string s;
  for (uint64_t v : values) {
    const size_t before = s.size();
    PutVarint64(&s, v);
    EXPECT_EQ(s.size() - before, static_cast<size_t>(VarintLength(v))) << v;
  }
  ExactBuffer buf(s);
  Slice in = buf.slice();
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RoundTrip) {
  std::vector<uint32_t> values = {0, 1, 127, 128, 16383, 16384, UINT32_MAX};
  for (int bits = 1; bits < 32; ++bits)
    values.push_back((uint32_t{1} << bits) - 1);
  std::string s;
  for (uint32_t v : values)
    PutVarint32(&s, v);
  ExactBuffer buf(s);
  Slice in = buf.slice();
  for (uint32_t v : values) {
    uint32_t got = 0;
    ASSERT_TRUE(GetVarint32(&in, &got)) << v;
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintKnownEncodings) {
  std::string s;
  PutVarint64(&s, 300);
  EXPECT_EQ(s, Bytes({0xac, 0x02}));
  s.clear();
  PutVarint64(&s, UINT64_MAX);
  EXPECT_EQ(s, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(VarintLength(0), 1);
  EXPECT_EQ(VarintLength(127), 1);
  EXPECT_EQ(VarintLength(128), 2);
  EXPECT_EQ(VarintLength(UINT32_MAX), kMaxVarint32Length);
  EXPECT_EQ(VarintLength(UINT64_MAX), kMaxVarint64Length);
}

TEST(CodingTest, TruncatedVarintFailsAndLeavesInput) {
  for (uint64_t v : Varint64Samples()) {
    std::string s;
    PutVarint64(&s, v);
    for (size_t len = 0; len < s.size(); ++len) {
      ExactBuffer buf(s.substr(0, len));
      Slice in = buf.slice();
      uint64_t got = 12345;
      EXPECT_FALSE(GetVarint64(&in, &got)) << v << " len " << len;
      EXPECT_EQ(in.size(), len);
      EXPECT_EQ(got, 12345u) << "output written on failure";
      if (v <= UINT32_MAX) {
        uint32_t got32;
        EXPECT_FALSE(GetVarint32(&in, &got32));
      }
    }
  }
}

TEST(CodingTest, OverlongVarint64Fails) {
  uint64_t v;
  // 11 continuation bytes: longer than any uint64 needs.
  {
    ExactBuffer buf(std::string(11, '\x80') + '\x01');
    Slice in = buf.slice();
    EXPECT_FALSE(GetVarint64(&in, &v));
  }
  // 10 bytes whose last byte sets bit 64 or above: overflow.
  for (int last : {0x02, 0x7f, 0x81}) {
    ExactBuffer buf(std::string(9, '\xff') + static_cast<char>(last));
    Slice in = buf.slice();
    EXPECT_FALSE(GetVarint64(&in, &v)) << last;
    EXPECT_EQ(in.size(), 10u);
  }
  // Non-minimal encodings of small values.
  for (const std::string& s :
       {Bytes({0x80, 0x00}), Bytes({0x81, 0x80, 0x00}),
        Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00})}) {
    ExactBuffer buf(s);
    Slice in = buf.slice();
    EXPECT_FALSE(GetVarint64(&in, &v)) << s.size();
  }
  // A single zero byte is the canonical zero.
  ExactBuffer zero(Bytes({0x00}));
  Slice in = zero.slice();
  ASSERT_TRUE(GetVarint64(&in, &v));
  EXPECT_EQ(v, 0u);
}

TEST(CodingTest, OverlongVarint32Fails) {
  uint32_t v;
  // Fits in a uint64 but not a uint32.
  std::string big;
  PutVarint64(&big, uint64_t{1} << 32);
  for (const std::string& s :
       {big, Bytes({0xff, 0xff, 0xff, 0xff, 0x10}), Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01})}) {
    ExactBuffer buf(s);
    Slice in = buf.slice();
    EXPECT_FALSE(GetVarint32(&in, &v)) << s.size();
    EXPECT_EQ(in.size(), s.size());
  }
  ExactBuffer max(Bytes({0xff, 0xff, 0xff, 0xff, 0x0f}));
  Slice in = max.slice();
  ASSERT_TRUE(GetVarint32(&in, &v));
  EXPECT_EQ(v, UINT32_MAX);
}

TEST(CodingTest, LengthPrefixedRoundTrip) {
  const std::vector<std::string> values = {"", "a", std::string(200, 'x'), Bytes({0, 0xff, 0})};
  std::string s;
  for (const auto& v : values)
    PutLengthPrefixed(&s, v);
  ExactBuffer buf(s);
  Slice in = buf.slice();
  for (const auto& v : values) {
    Slice got;
    ASSERT_TRUE(GetLengthPrefixed(&in, &got));
    EXPECT_EQ(got.ToString(), v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, LengthPrefixPastEndFails) {
  // Claims 5 bytes, has 4.
  {
    ExactBuffer buf(Bytes({5, 'a', 'b', 'c', 'd'}));
    Slice in = buf.slice();
    Slice got("untouched");
    EXPECT_FALSE(GetLengthPrefixed(&in, &got));
    EXPECT_EQ(in.size(), 5u);
    EXPECT_EQ(got, "untouched");
  }
  // A length near 2^64 must not wrap a pointer computation into "fits".
  {
    std::string s;
    PutVarint64(&s, UINT64_MAX);
    s += "abc";
    ExactBuffer buf(s);
    Slice in = buf.slice();
    Slice got;
    EXPECT_FALSE(GetLengthPrefixed(&in, &got));
  }
  // Truncated length itself.
  {
    ExactBuffer buf(Bytes({0x80}));
    Slice in = buf.slice();
    Slice got;
    EXPECT_FALSE(GetLengthPrefixed(&in, &got));
  }
  // Exactly fits.
  {
    ExactBuffer buf(Bytes({3, 'a', 'b', 'c'}));
    Slice in = buf.slice();
    Slice got;
    ASSERT_TRUE(GetLengthPrefixed(&in, &got));
    EXPECT_EQ(got, "abc");
    EXPECT_TRUE(in.empty());
  }
}

// Garbage must only ever be rejected or consumed, never read beyond its end
// (the ASan build checks the "beyond" part).
TEST(CodingTest, RandomGarbageDecodesSafely) {
  SeededRandom rng(2024);
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s(rng.Uniform(24), '\0');
    for (char& c : s)
      c = static_cast<char>(rng.Next());
    ExactBuffer buf(s);
    Slice in = buf.slice();
    while (!in.empty()) {
      const size_t before = in.size();
      uint64_t v;
      uint32_t v32;
      Slice field;
      bool ok = false;
      switch (rng.Uniform(3)) {
        case 0:
          ok = GetVarint64(&in, &v);
          break;
        case 1:
          ok = GetLengthPrefixed(&in, &field);
          break;
        case 2:
          ok = GetFixed32(&in, &v32);
          break;
      }
      if (!ok) {
        ASSERT_EQ(in.size(), before);
        break;
      }
      ASSERT_LT(in.size(), before);
      if (!field.empty()) {
        ASSERT_GE(field.data(), buf.slice().data());
        ASSERT_LE(field.end(), buf.slice().end());
      }
    }
  }
}

}  // namespace
}  // namespace cairn
