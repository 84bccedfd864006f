#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "check/history.h"

namespace cairn::check {

// Register states and values are interned to small integers so that a search
// configuration is a few words, and comparing states is an integer compare.
inline constexpr int32_t kAbsent = -1;

struct KeyOp {
  OpKind kind = OpKind::kGet;
  bool known = true;
  bool cas_ok = false;
  int32_t value = kAbsent;     // put/cas: value written; get: value read (kAbsent: not found)
  int32_t expected = kAbsent;  // cas only
  int64_t call = 0;
  int64_t ret = 0;    // known ops only
  size_t source = 0;  // index into the original history, for explanations
};

// The operations on one key, ready for the search. Known-outcome operations
// must take effect within [call, ret]; unknown-outcome writes may take effect
// at any point after their call, or never. Unknown-outcome gets are dropped:
// they constrain nothing.
struct KeyHistory {
  std::string key;
  std::vector<KeyOp> known;         // sorted by call, ties in history order
  std::vector<KeyOp> unknown;       // sorted by call, ties in history order
  std::vector<std::string> values;  // value id -> bytes
};

KeyHistory BuildKeyHistory(const History& history, const std::vector<size_t>& indices);

// The register's sequential specification. Returns false when `op`'s recorded
// output is impossible from `state`; unknown-outcome ops always succeed, and a
// cas among them swaps exactly when it would match (never taking effect is
// the other possibility, covered by not linearizing it at all).
inline bool Step(const KeyOp& op, int32_t state, int32_t* next) {
  switch (op.kind) {
    case OpKind::kGet:
      *next = state;
      return !op.known || state == op.value;
    case OpKind::kPut:
      *next = op.value;
      return true;
    case OpKind::kDelete:
      *next = kAbsent;
      return true;
    case OpKind::kCas: {
      const bool match = state != kAbsent && state == op.expected;
      *next = match ? op.value : state;
      return !op.known || match == op.cas_ok;
    }
  }
  return false;
}

}  // namespace cairn::check
