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

bool Memo::SameKnown(const Group& g, const Config& c, uint32_t window) const {
  if (g.hash != c.hash || g.state != c.state || g.lo != c.lo || g.known_words != window) {
    return false;
  }
  const uint64_t* stored = words_.data() + g.offset;
  return std::equal(stored, stored + window, c.known + FirstWord(c.lo));
}

bool Memo::Dominates(const Member& m, const Config& c) const {
  if (m.deletes > c.deletes || m.dead_puts > c.dead_puts) return false;
  const uint64_t* stored = words_.data() + m.offset;
  for (size_t i = 0; i < unknown_words_; ++i) {
    if ((stored[i] & ~c.unknown[i]) != 0) return false;
  }
  return true;
}

void Memo::AddMember(Group& g, const Config& c) {
  members_.push_back({g.first, c.deletes, c.dead_puts, words_.size()});
  words_.insert(words_.end(), c.unknown, c.unknown + unknown_words_);
  g.first = static_cast<uint32_t>(members_.size());
  ++entries_;
}

bool Memo::SeenOrInsert(const Config& c) {
  const uint32_t window = WindowWords(c);
  const size_t bucket = Bucket(c.hash, heads_.size());
  for (uint32_t g = heads_[bucket]; g != 0; g = groups_[g - 1].next) {
    Group& group = groups_[g - 1];
    if (!SameKnown(group, c, window)) continue;
    for (uint32_t m = group.first; m != 0; m = members_[m - 1].next) {
      if (Dominates(members_[m - 1], c)) return true;
    }
    AddMember(group, c);
    return false;
  }
  groups_.push_back({c.hash, heads_[bucket], 0, c.state, c.lo, window, words_.size()});
  words_.insert(words_.end(), c.known + FirstWord(c.lo), c.known + FirstWord(c.lo) + window);
  heads_[bucket] = static_cast<uint32_t>(groups_.size());
  AddMember(groups_.back(), c);
  if (groups_.size() > heads_.size()) Grow();
  return false;
}

void Memo::Grow() {
  heads_.assign(heads_.size() * 2, 0);
  for (size_t i = 0; i < groups_.size(); ++i) {
    const size_t bucket = Bucket(groups_[i].hash, heads_.size());
    groups_[i].next = heads_[bucket];
    heads_[bucket] = static_cast<uint32_t>(i + 1);
  }
}

}  // namespace cairn::check
