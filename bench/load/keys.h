#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>

namespace cairn::bench {

// Picks the next key number (at random, or in order over all clients) and
// writes it into a key buffer as zero-padded decimal, in place.
class KeyPicker {
 public:
  KeyPicker(uint64_t space, bool sequential, std::atomic<uint64_t>* shared_next, uint64_t seed)
      : space_(space), sequential_(sequential), next_(shared_next), rng_(seed) {}

  uint64_t Next() {
    if (sequential_) return next_->fetch_add(1, std::memory_order_relaxed) % space_;
    return std::uniform_int_distribution<uint64_t>(0, space_ - 1)(rng_);
  }

  // Writes `n` right-aligned into `key`, which keeps its size.
  static void Write(uint64_t n, std::string& key) {
    for (size_t i = key.size(); i-- > 0;) {
      key[i] = static_cast<char>('0' + n % 10);
      n /= 10;
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  uint64_t space_;
  bool sequential_;
  std::atomic<uint64_t>* next_;
  std::mt19937_64 rng_;
};

}  // namespace cairn::bench
