#include "check/memo.h"

#include <algorithm>

namespace cairn::check {
namespace {

size_t Bucket(uint64_t hash, size_t buckets) {
  hash ^= hash >> 31;
  hash *= 0x7fb5d329728ea185ULL;
  hash ^= hash >> 27;
  return hash & (buckets - 1);
}

}  // namespace

uint32_t Memo::WindowWords(const Config& c) {
  if (c.hi < c.lo) return 0;
  return (static_cast<uint32_t>(c.hi) >> 6) - FirstWord(c.lo) + 1;
}

bool Memo::Dominates(const Record& r, const Config& c, uint32_t window) const {
  if (r.hash != c.hash || r.state != c.state || r.lo != c.lo || r.known_words != window ||
      r.deletes > c.deletes || r.dead_puts > c.dead_puts) {
    return false;
  }
  const uint64_t* stored = words_.data() + r.offset;
  if (!std::equal(stored, stored + window, c.known + FirstWord(c.lo))) return false;
  stored += window;
  for (size_t i = 0; i < unknown_words_; ++i) {
    if ((stored[i] & ~c.unknown[i]) != 0) return false;
  }
  return true;
}

bool Memo::SeenOrInsert(const Config& c) {
  const uint32_t window = WindowWords(c);
  size_t bucket = Bucket(c.hash, heads_.size());
  for (uint32_t r = heads_[bucket]; r != 0; r = records_[r - 1].next) {
    if (Dominates(records_[r - 1], c, window)) return true;
  }
  const size_t offset = words_.size();
  words_.insert(words_.end(), c.known + FirstWord(c.lo), c.known + FirstWord(c.lo) + window);
  words_.insert(words_.end(), c.unknown, c.unknown + unknown_words_);
  records_.push_back(
      {c.hash, heads_[bucket], c.state, c.lo, window, c.deletes, c.dead_puts, offset});
  heads_[bucket] = static_cast<uint32_t>(records_.size());
  if (records_.size() > heads_.size()) Grow();
  return false;
}

void Memo::Grow() {
  heads_.assign(heads_.size() * 2, 0);
  for (size_t i = 0; i < records_.size(); ++i) {
    const size_t bucket = Bucket(records_[i].hash, heads_.size());
    records_[i].next = heads_[bucket];
    heads_[bucket] = static_cast<uint32_t>(i + 1);
  }
}

}  // namespace cairn::check
