#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "base/random.h"

namespace cairn::crc32c {
namespace {

using Fn = uint32_t (*)(uint32_t, const char*, size_t);

uint32_t ValueWith(Fn fn, const std::string& s) {
  return fn(0, s.data(), s.size());
}

// Bit-at-a-time definition of CRC32C, independent of both fast paths.
uint32_t Reference(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
  }
  return ~c;
}

class Crc32cKnownVectors : public ::testing::TestWithParam<Fn> {};

TEST_P(Crc32cKnownVectors, MatchPublishedValues) {
  const Fn fn = GetParam();
  EXPECT_EQ(ValueWith(fn, "123456789"), 0xE3069283u);
  EXPECT_EQ(ValueWith(fn, std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(ValueWith(fn, std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(ValueWith(fn, ascending), 0x46DD794Eu);
  EXPECT_EQ(ValueWith(fn, descending), 0x113FDB5Cu);
  // iSCSI READ command PDU from RFC 3720 B.4.
  const unsigned char iscsi[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(fn(0, reinterpret_cast<const char*>(iscsi), sizeof(iscsi)), 0xD9963A56u);
  EXPECT_EQ(fn(0, "", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Paths, Crc32cKnownVectors, ::testing::Values(&Extend, &ExtendPortable),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "Dispatch" : "Portable");
                         });

TEST(Crc32cTest, ValueUsesExtend) {
  EXPECT_EQ(Value("123456789", 9), 0xE3069283u);
}

TEST(Crc32cTest, DifferentInputsDiffer) {
  EXPECT_NE(Value("a", 1), Value("foo", 3));
}

// Extend and ExtendPortable are the hardware and software paths when the CPU
// has SSE4.2; every length and alignment (head and tail loops of both
// implementations) must agree with each other and with the bit-level
// definition.
TEST(Crc32cTest, PathsAgreeAtEveryLengthAndAlignment) {
  SeededRandom rng(17);
  std::string buf(300, '\0');
  for (char& c : buf)
    c = static_cast<char>(rng.Next());
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t len = 0; offset + len <= buf.size(); len += (len < 40 ? 1 : 37)) {
      const std::string piece = buf.substr(offset, len);
      const uint32_t expected = Reference(piece);
      ASSERT_EQ(ExtendPortable(0, buf.data() + offset, len), expected) << offset << "+" << len;
      ASSERT_EQ(Extend(0, buf.data() + offset, len), expected) << offset << "+" << len;
    }
  }
  std::string big(1 << 20, '\0');
  for (char& c : big)
    c = static_cast<char>(rng.Next());
  EXPECT_EQ(Extend(0, big.data(), big.size()), ExtendPortable(0, big.data(), big.size()));
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  SeededRandom rng(5);
  std::string data(1000, '\0');
  for (char& c : data)
    c = static_cast<char>(rng.Next());
  const uint32_t whole = Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 7) {
    const uint32_t first = Value(data.data(), split);
    EXPECT_EQ(Extend(first, data.data() + split, data.size() - split), whole) << split;
    EXPECT_EQ(ExtendPortable(ExtendPortable(0, data.data(), split), data.data() + split,
                             data.size() - split),
              whole)
        << split;
  }
  // Many tiny pieces.
  uint32_t crc = 0;
  for (char c : data)
    crc = Extend(crc, &c, 1);
  EXPECT_EQ(crc, whole);
  EXPECT_EQ(Extend(Value("hello ", 6), "world", 5), Value("hello world", 11));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  const uint32_t crc = Value("foo", 3);
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
  SeededRandom rng(1);
  for (int i = 0; i < 10000; ++i) {
    const auto v = static_cast<uint32_t>(rng.Next());
    ASSERT_EQ(Unmask(Mask(v)), v);
  }
  for (uint32_t v : {0u, 1u, 0xffffffffu, 0x80000000u})
    EXPECT_EQ(Unmask(Mask(v)), v);
  // Pinned so that stored checksums stay readable (LevelDB's constant).
  EXPECT_EQ(Mask(0), 0xa282ead8u);
}

TEST(Crc32cTest, ReportsWhichPath) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  EXPECT_EQ(HardwareAccelerated(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(HardwareAccelerated());
#endif
  if (!HardwareAccelerated()) {
    GTEST_LOG_(INFO) << "no SSE4.2: hardware/software agreement is not exercised on this host";
  }
}

}  // namespace
}  // namespace cairn::crc32c
