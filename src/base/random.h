#pragma once

#include <cstdint>

namespace cairn {

// Source of randomness handed to anything that must stay deterministic under
// simulation: the consensus core never seeds or owns one itself.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;

  // Uniform in [0, n); n must be positive.
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi]; lo <= hi.
  uint64_t Between(uint64_t lo, uint64_t hi) {
    const uint64_t span = hi - lo + 1;
    // The full 64-bit range has 2^64 values, and span wraps to 0: every value
    // is wanted, and Uniform(0) would divide by zero.
    return span == 0 ? Next() : lo + Uniform(span);
  }
  // True with probability p.
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
};

// SplitMix64-seeded xoshiro256**: fast, small state, reproducible from a seed.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t Next() override;

 private:
  uint64_t s_[4];
};

}  // namespace cairn
