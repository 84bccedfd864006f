#include "check/search.h"

#include <algorithm>
#include <bit>
#include <tuple>

#include "check/dancing_list.h"
#include "check/liveness.h"
#include "check/memo.h"

namespace cairn::check {
namespace {

// Known op i has its call at node 2i+1 and its return at node 2i+2. Events
// are ordered by time with calls before returns at equal times: intervals
// are closed, so an op called at the instant another returns overlaps it.
int32_t CallNode(int32_t op) {
  return 2 * op + 1;
}
int32_t OpOfNode(int32_t node) {
  return (node - 1) / 2;
}
bool IsCall(int32_t node) {
  return node % 2 == 1;
}

std::vector<int32_t> EventOrder(const std::vector<KeyOp>& known) {
  std::vector<std::tuple<int64_t, bool, int32_t>> events;
  events.reserve(2 * known.size());
  for (size_t i = 0; i < known.size(); ++i) {
    events.emplace_back(known[i].call, false, static_cast<int32_t>(i));
    events.emplace_back(known[i].ret, true, static_cast<int32_t>(i));
  }
  std::sort(events.begin(), events.end());
  std::vector<int32_t> order;
  order.reserve(events.size());
  for (const auto& [time, is_return, op] : events)
    order.push_back(CallNode(op) + is_return);
  return order;
}

std::vector<int32_t> Iota(size_t n) {
  std::vector<int32_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = static_cast<int32_t>(i + 1);
  return order;
}

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool Test(const std::vector<uint64_t>& bits, int32_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}
void Flip(std::vector<uint64_t>& bits, int32_t i) {
  bits[i >> 6] ^= uint64_t{1} << (i & 63);
}

class Searcher {
 public:
  Searcher(const KeyHistory& h, const SearchBudget& budget)
      : h_(h),
        budget_(budget),
        entries_(EventOrder(h.known)),
        pending_unknown_(Iota(h.unknown.size())),
        known_bits_((h.known.size() + 63) / 64 + 1, 0),
        unknown_bits_((h.unknown.size() + 63) / 64, 0),
        canonical_unknown_(unknown_bits_.size(), 0),
        memo_(unknown_bits_.size()),
        liveness_(h) {
    // Zobrist hashing: the hash of a set is the XOR of its members' keys, so
    // it follows each lift and unlift in O(1).
    uint64_t seed = 0x636169726e;
    zobrist_.reserve(h.known.size());
    for (size_t i = 0; i < h.known.size(); ++i)
      zobrist_.push_back(SplitMix64(seed));
    state_key_seed_ = SplitMix64(seed);
  }

  SearchOutcome Run();

 private:
  struct Frame {
    OpRef op;
    int32_t state;  // before op
    int32_t lo;
    int32_t hi;
    int64_t bound;  // unknown ops only: the return time that bounded the candidates
  };

  // Dead values are all alike (see ValueLiveness), so configurations are
  // remembered with them merged into one.
  static constexpr int32_t kDead = -2;
  int32_t Canonical(int32_t state, int32_t lo, int32_t hi) const {
    return liveness_.Dead(state, known_bits_, lo, hi) ? kDead : state;
  }
  uint64_t Hash(int32_t state) const {
    return known_hash_ ^ (state_key_seed_ * static_cast<uint64_t>(state + 3));
  }
  bool TryKnown(int32_t op);
  bool TryUnknown(int32_t op, int64_t bound);
  bool Overwrites(const KeyOp& op) const;
  bool Admit(int32_t next_state, int32_t lo, int32_t hi);
  void Push(const Frame& frame);
  Frame Pop();

  const KeyHistory& h_;
  SearchBudget budget_;
  DancingList entries_;          // known ops' call and return events
  DancingList pending_unknown_;  // unknown ops not linearized, by call
  std::vector<uint64_t> known_bits_;
  std::vector<uint64_t> unknown_bits_;
  std::vector<uint64_t> canonical_unknown_;  // scratch for Admit
  std::vector<uint64_t> zobrist_;
  uint64_t state_key_seed_ = 0;
  uint64_t known_hash_ = 0;
  Memo memo_;
  ValueLiveness liveness_;
  int32_t state_ = kAbsent;
  int32_t lo_ = 0;   // lowest unlinearized known op
  int32_t hi_ = -1;  // highest linearized known op
  std::vector<Frame> stack_;
  bool exhausted_ = false;

  // The longest prefix so far (by known ops), kept incrementally: `shared_`
  // is how much of it the stack still matches, so a new record only copies
  // the frames pushed since the two diverged.
  std::vector<OpRef> best_;
  size_t best_known_ = 0;
  size_t known_done_ = 0;
  size_t shared_ = 0;
};

// An unknown-outcome write matters only if something observes it; one
// immediately overwritten is the same as one that never took effect, and the
// search reaches that configuration without it (the overwrite is a candidate
// there too), so such orders need not be tried.
bool Searcher::Overwrites(const KeyOp& op) const {
  return (op.kind == OpKind::kPut || op.kind == OpKind::kDelete) && !stack_.empty() &&
         stack_.back().op.unknown;
}

bool Searcher::Admit(int32_t next_state, int32_t lo, int32_t hi) {
  const int32_t canonical = Canonical(next_state, lo, hi);
  Config c{Hash(canonical), canonical, lo, hi, known_bits_.data(), canonical_unknown_.data()};
  // Which unknown-outcome deletes, or puts of dead values, took effect does
  // not matter, only how many: the ones left are interchangeable (they are
  // all callable by now, as were the ones used).
  for (size_t w = 0; w < unknown_bits_.size(); ++w) {
    uint64_t bits = canonical_unknown_[w] = unknown_bits_[w];
    for (; bits != 0; bits &= bits - 1) {
      const int32_t i = static_cast<int32_t>(w * 64) + std::countr_zero(bits);
      const KeyOp& op = h_.unknown[i];
      const bool del = op.kind == OpKind::kDelete;
      if (del || (op.kind == OpKind::kPut && liveness_.Dead(op.value, known_bits_, lo, hi))) {
        canonical_unknown_[w] &= ~(uint64_t{1} << (i & 63));
        ++(del ? c.deletes : c.dead_puts);
      }
    }
  }
  if (memo_.SeenOrInsert(c)) return false;
  const auto states = static_cast<int64_t>(memo_.size());
  if (states > budget_.max_states) exhausted_ = true;
  if (states % 4096 == 0 && std::chrono::steady_clock::now() > budget_.deadline) exhausted_ = true;
  return true;
}

bool Searcher::TryKnown(int32_t op) {
  if (Overwrites(h_.known[op])) return false;
  int32_t next = state_;
  if (!Step(h_.known[op], state_, &next)) return false;
  Flip(known_bits_, op);
  known_hash_ ^= zobrist_[op];
  int32_t lo = lo_;
  while (lo < static_cast<int32_t>(h_.known.size()) && Test(known_bits_, lo))
    ++lo;
  const int32_t hi = std::max(hi_, op);
  if (!Admit(next, lo, hi)) {
    Flip(known_bits_, op);
    known_hash_ ^= zobrist_[op];
    return false;
  }
  entries_.Remove(CallNode(op));
  entries_.Remove(CallNode(op) + 1);
  ++known_done_;
  Push({{false, op}, state_, lo_, hi_, 0});
  state_ = next;
  lo_ = lo;
  hi_ = hi;
  return true;
}

bool Searcher::TryUnknown(int32_t op, int64_t bound) {
  if (Overwrites(h_.unknown[op])) return false;
  int32_t next = state_;
  Step(h_.unknown[op], state_, &next);
  // Taking effect without changing the state is the same as not taking
  // effect, which is always allowed.
  if (Canonical(next, lo_, hi_) == Canonical(state_, lo_, hi_)) return false;
  Flip(unknown_bits_, op);
  if (!Admit(next, lo_, hi_)) {
    Flip(unknown_bits_, op);
    return false;
  }
  pending_unknown_.Remove(op + 1);
  Push({{true, op}, state_, lo_, hi_, bound});
  state_ = next;
  return true;
}

void Searcher::Push(const Frame& frame) {
  const size_t p = stack_.size();
  stack_.push_back(frame);
  if (shared_ == p && p < best_.size() && best_[p] == frame.op) ++shared_;
  if (known_done_ > best_known_) {
    best_.resize(shared_);
    for (size_t i = shared_; i < stack_.size(); ++i)
      best_.push_back(stack_[i].op);
    shared_ = stack_.size();
    best_known_ = known_done_;
  }
}

Searcher::Frame Searcher::Pop() {
  const Frame f = stack_.back();
  stack_.pop_back();
  shared_ = std::min(shared_, stack_.size());
  state_ = f.state;
  lo_ = f.lo;
  hi_ = f.hi;
  if (f.op.unknown) {
    Flip(unknown_bits_, f.op.index);
    pending_unknown_.Restore(f.op.index + 1);
  } else {
    Flip(known_bits_, f.op.index);
    known_hash_ ^= zobrist_[f.op.index];
    entries_.Restore(CallNode(f.op.index) + 1);
    entries_.Restore(CallNode(f.op.index));
    --known_done_;
  }
  return f;
}

SearchOutcome Searcher::Run() {
  SearchOutcome out;
  // Candidates for the next linearization point are the ops called before
  // the first pending return. Known ops are tried first: an unknown-outcome
  // write is only worth linearizing when something observes it.
  bool unknown_pass = false;
  int32_t cursor = entries_.First();
  int32_t unknown_cursor = DancingList::kEnd;
  int64_t bound = 0;
  for (;;) {
    if (entries_.Empty()) {
      out.result = SearchOutcome::kLinearizable;
      break;
    }
    if (exhausted_) {
      out.result = SearchOutcome::kBudgetExhausted;
      break;
    }
    if (!unknown_pass) {
      if (IsCall(cursor)) {
        cursor = TryKnown(OpOfNode(cursor)) ? entries_.First() : entries_.Next(cursor);
        continue;
      }
      unknown_pass = true;
      bound = h_.known[OpOfNode(cursor)].ret;
      unknown_cursor = pending_unknown_.First();
    }
    if (unknown_cursor != DancingList::kEnd && h_.unknown[unknown_cursor - 1].call <= bound) {
      if (TryUnknown(unknown_cursor - 1, bound)) {
        unknown_pass = false;
        cursor = entries_.First();
      } else {
        unknown_cursor = pending_unknown_.Next(unknown_cursor);
      }
      continue;
    }
    if (stack_.empty()) {
      out.result = SearchOutcome::kNotLinearizable;
      break;
    }
    const Frame f = Pop();
    unknown_pass = f.op.unknown;
    if (f.op.unknown) {
      unknown_cursor = pending_unknown_.Next(f.op.index + 1);
      bound = f.bound;
    } else {
      cursor = entries_.Next(CallNode(f.op.index));
    }
  }
  out.longest_prefix = std::move(best_);
  out.states = static_cast<int64_t>(memo_.size());
  return out;
}

}  // namespace

SearchOutcome Search(const KeyHistory& history, const SearchBudget& budget) {
  return Searcher(history, budget).Run();
}

}  // namespace cairn::check
