#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check/history.h"

namespace cairn::check {

struct CheckOptions {
  // Search budget per key, in distinct configurations remembered. Each costs
  // some 40 to 70 bytes (more with hundreds of unknown-outcome ops), and the
  // search gets through roughly a million a second, so the default allows
  // about a minute and a few GB. Running out yields kUnknown, never a guess.
  int64_t max_states_per_key = 50'000'000;
  // Wall-clock budget for the whole check; zero means none.
  std::chrono::milliseconds time_budget{0};
};

struct CheckResult {
  enum Verdict { kOk, kViolation, kUnknown /* budget exhausted, or malformed history */ };
  Verdict verdict = kOk;
  std::string key;          // the key that is not linearizable, or could not be decided
  std::string explanation;  // empty when kOk
};

std::string_view VerdictName(CheckResult::Verdict verdict);

// Decides whether `history` is linearizable with respect to a key-value
// register store. Keys are independent (linearizability is compositional),
// so each is checked on its own; the first violating key in key order is
// reported, and kUnknown only when no key is a violation.
//
// Time intervals are closed: an op returning at t and one called at t are
// concurrent and may be linearized in either order. Known-outcome ops need
// ret >= call; otherwise the verdict is kUnknown with "invalid history".
CheckResult CheckLinearizable(const std::vector<Operation>& history,
                              const CheckOptions& options = {});

}  // namespace cairn::check
