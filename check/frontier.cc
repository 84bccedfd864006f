#include "check/frontier.h"

#include <algorithm>

#include "base/random.h"

namespace cairn::check {
namespace {

bool Test(const std::vector<uint64_t>& bits, int32_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}
void Set(std::vector<uint64_t>& bits, int32_t i) {
  bits[i >> 6] |= uint64_t{1} << (i & 63);
}
void Clear(std::vector<uint64_t>& bits, int32_t i) {
  bits[i >> 6] &= ~(uint64_t{1} << (i & 63));
}

}  // namespace

Frontier::Frontier(const KeyHistory& h)
    : h_(h),
      liveness_(h),
      unknown_puts_of_(h.values.size()),
      writers_(h.values.size(), 0),
      // One spare word: the window may start just past the last op.
      known_((h.known.size() + 63) / 64 + 1, 0),
      unknown_((h.unknown.size() + 63) / 64, 0),
      listed_(unknown_.size(), 0),
      view_(unknown_.size(), 0) {
  for (size_t i = 0; i < h.unknown.size(); ++i) {
    const KeyOp& op = h.unknown[i];
    if (op.kind == OpKind::kPut) unknown_puts_of_[op.value].push_back(static_cast<int32_t>(i));
    if (op.kind == OpKind::kCas) unknown_cases_.push_back(static_cast<int32_t>(i));
    if (Written(op) != kAbsent) ++writers_[Written(op)];
  }
  for (const KeyOp& op : h.known) {
    if (Written(op) != kAbsent) ++writers_[Written(op)];
  }
  // Zobrist hashing: a set hashes to the XOR of its members' keys, which
  // follows each linearization and its undoing in O(1).
  SeededRandom keys(0x636169726e);
  zobrist_.reserve(h.known.size());
  for (size_t i = 0; i < h.known.size(); ++i)
    zobrist_.push_back(keys.Next());
  state_key_ = keys.Next();
}

int32_t Frontier::Canonical(int32_t value) const {
  return Dead(value) ? kDead : value;
}

int32_t Frontier::Named(const KeyOp& op) const {
  if (op.kind == OpKind::kGet) return op.value;
  if (op.kind == OpKind::kCas) return op.expected;
  return kAbsent;
}

int32_t Frontier::Written(const KeyOp& op) {
  if (op.kind == OpKind::kPut || (op.kind == OpKind::kCas && (op.cas_ok || !op.known))) {
    return op.value;
  }
  return kAbsent;
}

bool Frontier::Counted(const KeyOp& op) const {
  return op.kind == OpKind::kDelete || (op.kind == OpKind::kPut && Dead(op.value));
}

void Frontier::Recount(int32_t value, bool dead) {
  for (int32_t u : unknown_puts_of_[value]) {
    if (!Test(unknown_, u)) continue;
    if (dead) {
      Clear(listed_, u);
      ++dead_puts_;
    } else {
      Set(listed_, u);
      --dead_puts_;
    }
  }
}

Frontier::Undo Frontier::Linearize(bool unknown, int32_t op, int32_t next) {
  const Undo undo{state_, lo_, hi_};
  state_ = next;
  const KeyOp& k = unknown ? h_.unknown[op] : h_.known[op];
  if (Written(k) != kAbsent) --writers_[Written(k)];
  if (unknown) {
    Set(unknown_, op);
    if (!Counted(k)) {
      Set(listed_, op);
    } else {
      ++(k.kind == OpKind::kDelete ? deletes_ : dead_puts_);
    }
    if (k.kind == OpKind::kCas) {
      liveness_.CasTookEffect(k.expected, -1);
      if (Dead(k.expected)) Recount(k.expected, true);
    }
    return undo;
  }
  Set(known_, op);
  known_hash_ ^= zobrist_[op];
  ++known_done_;
  while (lo_ < static_cast<int32_t>(h_.known.size()) && Test(known_, lo_))
    ++lo_;
  hi_ = std::max(hi_, op);
  // This op may have been the last to observe its value.
  const int32_t named = Named(h_.known[op]);
  if (named != kAbsent && Dead(named)) Recount(named, true);
  return undo;
}

void Frontier::Unlinearize(bool unknown, int32_t op, const Undo& undo) {
  const KeyOp& k = unknown ? h_.unknown[op] : h_.known[op];
  if (Written(k) != kAbsent) ++writers_[Written(k)];
  if (unknown) {
    if (k.kind == OpKind::kCas) {
      if (Dead(k.expected)) Recount(k.expected, false);
      liveness_.CasTookEffect(k.expected, +1);
    }
    if (!Counted(k)) {
      Clear(listed_, op);
    } else {
      --(k.kind == OpKind::kDelete ? deletes_ : dead_puts_);
    }
    Clear(unknown_, op);
  } else {
    const int32_t named = Named(h_.known[op]);
    if (named != kAbsent && Dead(named)) Recount(named, false);
    Clear(known_, op);
    known_hash_ ^= zobrist_[op];
    --known_done_;
    lo_ = undo.lo;
    hi_ = undo.hi;
  }
  state_ = undo.state;
}

Config Frontier::View() const {
  const int32_t state = Canonical(state_);
  Config c;
  c.hash = known_hash_ ^ (state_key_ * static_cast<uint64_t>(state + 3));
  c.state = state;
  c.lo = lo_;
  c.hi = hi_;
  c.known = known_.data();
  view_ = listed_;
  for (int32_t u : unknown_cases_) {
    const int32_t expected = h_.unknown[u].expected;
    if (!Test(unknown_, u) && state_ != expected && writers_[expected] == 0) Set(view_, u);
  }
  c.unknown = view_.data();
  c.deletes = deletes_;
  c.dead_puts = dead_puts_;
  return c;
}

}  // namespace cairn::check
