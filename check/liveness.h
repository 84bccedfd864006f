#pragma once

#include <cstdint>
#include <vector>

#include "check/key_history.h"

namespace cairn::check {

// Tells whether a value can still be observed. Only gets and cases compare
// the register with a value, so once every known-outcome op that names v is
// linearized (and no unknown-outcome cas expects v), the register holding v
// behaves exactly like it holding any other such dead value. The search uses
// this to merge configurations and to try only one of several
// interchangeable unknown-outcome writes.
class ValueLiveness {
 public:
  explicit ValueLiveness(const KeyHistory& h);

  // `known` is the set of linearized known-outcome ops: all below `lo`, none
  // above `hi`.
  bool Dead(int32_t value, const std::vector<uint64_t>& known, int32_t lo, int32_t hi) const;

 private:
  std::vector<std::vector<int32_t>> observers_;  // value -> known ops naming it, ascending
  std::vector<bool> forever_;                    // value -> an unknown-outcome cas expects it
};

}  // namespace cairn::check
