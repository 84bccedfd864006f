#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cairn::check {

// A configuration of the search on one key, in canonical form (see Frontier).
struct Config {
  uint64_t hash = 0;  // of the known set and state only
  int32_t state = 0;
  // Every known op below `lo` is linearized and none above `hi`, so only the
  // words of `known` covering [lo, hi] distinguish configurations: that window
  // is as wide as the history's concurrency, not as long as the history.
  int32_t lo = 0;
  int32_t hi = -1;
  const uint64_t* known = nullptr;
  // Unknown-outcome ops that took effect and are listed, and how many
  // counted ones did.
  const uint64_t* unknown = nullptr;
  uint32_t deletes = 0;
  uint32_t dead_puts = 0;
};

// The configurations already reached. Besides exact repeats it skips a
// configuration when one with the same known set and state but a subset of
// its unknown-outcome writes (or fewer of the counted ones) was reached: such
// a write never has to take effect, so that configuration can complete
// whenever this one can.
class Memo {
 public:
  explicit Memo(size_t unknown_words) : unknown_words_(unknown_words), heads_(1024, 0) {}

  // True if `c` is dominated by a recorded configuration; otherwise records it.
  bool SeenOrInsert(const Config& c);

  size_t size() const { return entries_; }

 private:
  // Configurations sharing a known set and state form a group, so the
  // bitset window is compared once per lookup, not once per configuration.
  struct Group {
    uint64_t hash;
    uint32_t next;   // 1 + index of the next group in this bucket, 0 for none
    uint32_t first;  // 1 + index of its first member in members_
    int32_t state;
    int32_t lo;
    uint32_t known_words;
    size_t offset;  // of the window in words_
  };
  struct Member {
    uint32_t next;  // 1 + index of the next member of the group, 0 for none
    uint32_t deletes;
    uint32_t dead_puts;
    size_t offset;  // of the unknown bitset in words_
  };

  static uint32_t FirstWord(int32_t lo) { return static_cast<uint32_t>(lo) >> 6; }
  static uint32_t WindowWords(const Config& c);
  bool SameKnown(const Group& g, const Config& c, uint32_t window) const;
  bool Dominates(const Member& m, const Config& c) const;
  void AddMember(Group& g, const Config& c);
  void Grow();

  size_t unknown_words_;
  std::vector<uint32_t> heads_;  // power-of-two sized
  std::vector<Group> groups_;
  std::vector<Member> members_;
  std::vector<uint64_t> words_;
  size_t entries_ = 0;
};

}  // namespace cairn::check
