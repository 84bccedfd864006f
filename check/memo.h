#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cairn::check {

// A configuration of the search on one key: which known-outcome operations
// are linearized (a bitset), the register state, and which unknown-outcome
// writes took effect (another bitset).
struct Config {
  uint64_t hash = 0;  // of the known set and state only
  int32_t state = 0;
  // Every known op below `lo` is linearized and none above `hi`, so only the
  // words of `known` covering [lo, hi] distinguish configurations: that window
  // is as wide as the history's concurrency, not as long as the history.
  int32_t lo = 0;
  int32_t hi = -1;
  const uint64_t* known = nullptr;
  // Unknown-outcome deletes and puts of dead values are counted, not listed:
  // they are interchangeable, and cleared from `unknown`.
  const uint64_t* unknown = nullptr;
  uint32_t deletes = 0;
  uint32_t dead_puts = 0;
};

// The configurations already reached. Besides exact repeats it skips a
// configuration when one with the same known set and state but a subset of
// its unknown-outcome writes (or fewer of the interchangeable ones) was
// reached: such a write never has to take effect, so that configuration can
// complete whenever this one can.
class Memo {
 public:
  explicit Memo(size_t unknown_words) : unknown_words_(unknown_words), heads_(1024, 0) {}

  // True if `c` is dominated by a recorded configuration; otherwise records it.
  bool SeenOrInsert(const Config& c);

  size_t size() const { return records_.size(); }

 private:
  struct Record {
    uint64_t hash;
    uint32_t next;  // 1 + index of the next record in this bucket, 0 for none
    int32_t state;
    int32_t lo;
    uint32_t known_words;
    uint32_t deletes;
    uint32_t dead_puts;
    size_t offset;  // into words_: known window, then unknown_words_ words
  };

  static uint32_t FirstWord(int32_t lo) { return static_cast<uint32_t>(lo) >> 6; }
  static uint32_t WindowWords(const Config& c);
  bool Dominates(const Record& r, const Config& c, uint32_t window) const;
  void Grow();

  size_t unknown_words_;
  std::vector<uint32_t> heads_;  // power-of-two sized
  std::vector<Record> records_;
  std::vector<uint64_t> words_;
};

}  // namespace cairn::check
