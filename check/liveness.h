#pragma once

#include <cstdint>
#include <vector>

#include "check/key_history.h"

namespace cairn::check {

// Tells whether a value can still be observed. Only gets and cases compare
// the register with a value, so once every known-outcome op that names v is
// linearized, and every unknown-outcome cas expecting v has taken effect, the
// register holding v behaves exactly like it holding any other such dead
// value. The search uses this to merge configurations.
class ValueLiveness {
 public:
  explicit ValueLiveness(const KeyHistory& h);

  // `known` is the set of linearized known-outcome ops: all below `lo`, none
  // above `hi`.
  bool Dead(int32_t value, const std::vector<uint64_t>& known, int32_t lo, int32_t hi) const;

  // An unknown-outcome cas expecting `value` took effect (+1 undoes it).
  void CasTookEffect(int32_t value, int delta) { pending_cases_[value] += delta; }

 private:
  std::vector<std::vector<int32_t>> observers_;  // value -> known ops naming it, ascending
  std::vector<int32_t> pending_cases_;           // value -> unknown cases expecting it, pending
};

}  // namespace cairn::check
