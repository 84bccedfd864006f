#pragma once

#include <cstddef>
#include <cstdint>

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum on every
// WAL record and snapshot chunk. Castagnoli rather than zlib's CRC32 because it
// detects more error patterns at record sizes and x86 computes it in hardware.
namespace cairn::crc32c {

// The CRC of data[0, n) appended to a stream whose CRC so far is `crc`, so
// Extend(Value(a), b) == Value(a + b). Uses SSE4.2 when the CPU has it.
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) {
  return Extend(0, data, n);
}

// Storing the CRC of bytes that themselves contain CRCs (a record holding an
// embedded, checksummed payload) makes the CRC of the whole degenerate; a
// rotated, offset value breaks that relationship. Store Mask(crc), compare
// against Unmask(stored).
constexpr uint32_t kMaskDelta = 0xa282ead8u;

constexpr uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

constexpr uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// The table-driven implementation Extend falls back to. Public so tests and
// benchmarks can hold the two paths to each other.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);

// Whether Extend is using the hardware instruction on this machine.
bool HardwareAccelerated();

}  // namespace cairn::crc32c
