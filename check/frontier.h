#pragma once

#include <cstdint>
#include <vector>

#include "check/key_history.h"
#include "check/liveness.h"
#include "check/memo.h"

namespace cairn::check {

// What the search has linearized on one key and the register state that
// leaves, kept incrementally in the canonical form the memo compares:
// - the known-outcome ops as a bitset window [lo, hi] with a Zobrist hash;
// - the state, with dead values (see ValueLiveness) merged into one;
// - the unknown-outcome ops that took effect, except that deletes and puts of
//   dead values are only counted: which of them took effect does not matter,
//   as the rest are interchangeable with them. Unknown-outcome cases that can
//   no longer match (nothing left can write what they expect) are listed as
//   if they had taken effect: either way they can do nothing more.
class Frontier {
 public:
  explicit Frontier(const KeyHistory& h);

  int32_t state() const { return state_; }
  size_t known_done() const { return known_done_; }
  // `value`, or kDead if it can no longer be observed.
  int32_t Canonical(int32_t value) const;

  // What Unlinearize needs to restore.
  struct Undo {
    int32_t state;
    int32_t lo;
    int32_t hi;
  };
  // Linearizes an op (known or unknown outcome), leaving the register `next`.
  Undo Linearize(bool unknown, int32_t op, int32_t next);
  // Undoes the most recent Linearize.
  void Unlinearize(bool unknown, int32_t op, const Undo& undo);

  Config View() const;

 private:
  static constexpr int32_t kDead = -2;

  bool Dead(int32_t value) const { return liveness_.Dead(value, known_, lo_, hi_); }
  // The value a known op compares the register with, if any.
  int32_t Named(const KeyOp& op) const;
  // Moves the taken-effect unknown puts of `value` between listed and counted.
  void Recount(int32_t value, bool dead);
  // Whether unknown op `op` is counted rather than listed.
  bool Counted(const KeyOp& op) const;
  // The value `op` writes if it takes effect, or kAbsent.
  static int32_t Written(const KeyOp& op);

  const KeyHistory& h_;
  ValueLiveness liveness_;
  std::vector<std::vector<int32_t>> unknown_puts_of_;  // value -> unknown puts writing it
  std::vector<int32_t> unknown_cases_;
  std::vector<int32_t> writers_;  // value -> ops not linearized that may write it
  std::vector<uint64_t> zobrist_;
  uint64_t state_key_ = 0;

  std::vector<uint64_t> known_;
  std::vector<uint64_t> unknown_;       // took effect, including counted ones
  std::vector<uint64_t> listed_;        // took effect and not counted
  mutable std::vector<uint64_t> view_;  // listed_ plus cases that cannot match
  uint64_t known_hash_ = 0;
  int32_t lo_ = 0;   // lowest unlinearized known op
  int32_t hi_ = -1;  // highest linearized known op
  size_t known_done_ = 0;
  uint32_t deletes_ = 0;
  uint32_t dead_puts_ = 0;
  int32_t state_ = kAbsent;
};

}  // namespace cairn::check
