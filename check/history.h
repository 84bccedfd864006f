#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::check {

// A client-observed history of a key-value register store. Every key starts
// absent; put sets it, delete removes it (and always succeeds), get reads it,
// and cas swaps in `value` iff the key is present and holds `expected`.
enum class OpKind { kGet, kPut, kDelete, kCas };

struct Operation {
  int client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::string value;     // kPut: value written; kCas: new value
  std::string expected;  // kCas: value that must be present (a missing key never matches)
  int64_t call = 0;      // invocation time (any monotonic unit)
  int64_t ret = 0;       // response time; ignored when !known
  // false: timed out / outcome unknown. The operation may or may not have
  // taken effect, at any time after `call`.
  bool known = true;
  // Outputs (meaningful only when known):
  bool found = false;   // kGet: key present
  std::string output;   // kGet: value read
  bool cas_ok = false;  // kCas: whether the swap happened
};

using History = std::vector<Operation>;

std::string_view KindName(OpKind kind);

// Quotes a key or value for humans: control bytes are escaped, long values
// shortened, so that explanations stay one line per operation.
std::string Quote(std::string_view bytes);

// e.g. `client 3 cas("k", "a" -> "b") -> ok [call 10, ret 20]`.
std::string ToString(const Operation& op);

}  // namespace cairn::check
