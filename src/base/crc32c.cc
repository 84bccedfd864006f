#include "base/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define CAIRN_CRC32C_SSE42 1
#include <nmmintrin.h>
#else
#define CAIRN_CRC32C_SSE42 0
#endif

namespace cairn::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

// Slicing-by-8: table k maps a byte to its CRC contribution when followed by k
// zero bytes, letting the loop fold 8 input bytes with 8 independent lookups.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t i = 0; i < 256; ++i)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint32_t LoadLE32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

#if CAIRN_CRC32C_SSE42
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const char* p, size_t n) {
  uint32_t c = ~crc;
#if defined(__x86_64__)
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<uint32_t>(c64);
#endif
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, sizeof(w));
    c = _mm_crc32_u32(c, w);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    c = _mm_crc32_u8(c, static_cast<uint8_t>(*p++));
    --n;
  }
  return ~c;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

ExtendFn Choose() {
#if CAIRN_CRC32C_SSE42
  // Extend may first run from another translation unit's static initializer,
  // before the runtime has probed the CPU.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return ExtendSse42;
#endif
  return ExtendPortable;
}

ExtendFn Chosen() {
  static const ExtendFn fn = Choose();
  return fn;
}

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const char* p, size_t n) {
  const auto& t = kTables;
  uint32_t c = ~crc;
  while (n >= 8) {
    const uint32_t lo = LoadLE32(p) ^ c;
    const uint32_t hi = LoadLE32(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = t[0][(c ^ static_cast<uint8_t>(*p++)) & 0xff] ^ (c >> 8);
    --n;
  }
  return ~c;
}

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
  return Chosen()(crc, data, n);
}

bool HardwareAccelerated() {
  return Chosen() != ExtendPortable;
}

}  // namespace cairn::crc32c
