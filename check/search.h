#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "check/key_history.h"

namespace cairn::check {

// One operation of a KeyHistory: KeyHistory::unknown[index] if `unknown`,
// else KeyHistory::known[index].
struct OpRef {
  bool unknown = false;
  int32_t index = 0;
  bool operator==(const OpRef&) const = default;
};

struct SearchBudget {
  int64_t max_states = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct SearchOutcome {
  enum Result { kLinearizable, kNotLinearizable, kBudgetExhausted };
  Result result = kLinearizable;
  // A linearization of as many known-outcome ops as the search managed, in
  // order (unknown-outcome writes in it took effect). When the history is
  // not linearizable, what comes right after it is where the trouble is.
  std::vector<OpRef> longest_prefix;
  int64_t states = 0;
};

// Decides whether one key's history is linearizable: Wing & Gong's search
// with Lowe's just-in-time linearization, as in Porcupine, remembering the
// configurations reached (Memo, in Frontier's canonical form) so that none
// is explored twice. Unknown-outcome writes never have to take effect, so
// they are tried after the known-outcome candidates, and only where the next
// op can observe them.
SearchOutcome Search(const KeyHistory& history, const SearchBudget& budget);

}  // namespace cairn::check
