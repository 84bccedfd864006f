#include "check/explain.h"

#include <algorithm>
#include <cstdint>

namespace cairn::check {
namespace {

constexpr size_t kPrefixTail = 8;
constexpr size_t kMaxCandidates = 16;

const KeyOp& Get(const KeyHistory& h, const OpRef& r) {
  return r.unknown ? h.unknown[r.index] : h.known[r.index];
}

std::string DescribeState(const KeyHistory& h, int32_t state) {
  return state == kAbsent ? "the key is absent" : "the key holds " + Quote(h.values[state]);
}

// Why `op` cannot take effect in `state`, or "" if it can.
std::string Impossibility(const KeyHistory& h, const KeyOp& op, int32_t state) {
  int32_t next = state;
  if (Step(op, state, &next)) return "";
  if (op.kind == OpKind::kGet) {
    return std::string(op.value == kAbsent ? "it found no value"
                                           : "it read " + Quote(h.values[op.value])) +
           ", but " + DescribeState(h, state);
  }
  if (op.cas_ok) return "it succeeded, but " + DescribeState(h, state);
  return "it failed, but the key holds the expected value";
}

std::string Count(size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::string ExplainViolation(const KeyHistory& h, const History& history,
                             const std::vector<OpRef>& longest_prefix) {
  std::vector<bool> done_known(h.known.size(), false);
  std::vector<bool> done_unknown(h.unknown.size(), false);
  int32_t state = kAbsent;
  size_t known_in_prefix = 0;
  for (const OpRef& r : longest_prefix) {
    (r.unknown ? done_unknown : done_known)[r.index] = true;
    known_in_prefix += !r.unknown;
    Step(Get(h, r), state, &state);
  }

  std::string s = "key " + Quote(h.key) + " is not linearizable (" +
                  Count(h.known.size(), "operation") + " with known outcome, " +
                  std::to_string(h.unknown.size()) + " unknown-outcome writes).\n";
  s += "Longest linearizable prefix found: " + std::to_string(known_in_prefix) + " of " +
       std::to_string(h.known.size()) + " known-outcome operations";
  if (known_in_prefix < longest_prefix.size()) {
    s += ", with " + Count(longest_prefix.size() - known_in_prefix, "unknown-outcome write") +
         " taking effect";
  }
  s += ":\n";
  const size_t skip = longest_prefix.size() - std::min(longest_prefix.size(), kPrefixTail);
  if (skip > 0) s += "  ... " + Count(skip, "earlier operation") + "\n";
  for (size_t i = skip; i < longest_prefix.size(); ++i) {
    s += "  " + std::to_string(i + 1) + ". " + ToString(history[Get(h, longest_prefix[i]).source]) +
         "\n";
  }
  s += "after which " + DescribeState(h, state) + ".\n";

  // The first pending return bounds what may come next: that op, or one
  // called no later than it returned (intervals are closed).
  const KeyOp* first_return = nullptr;
  for (size_t i = 0; i < h.known.size(); ++i) {
    if (!done_known[i] && (first_return == nullptr || h.known[i].ret < first_return->ret)) {
      first_return = &h.known[i];
    }
  }
  if (first_return == nullptr) return s;
  s += "Next, " + ToString(history[first_return->source]) +
       " or an operation called before it returned must take effect, and none can:\n";
  std::vector<const KeyOp*> candidates;
  for (size_t i = 0; i < h.known.size(); ++i) {
    if (!done_known[i] && h.known[i].call <= first_return->ret) candidates.push_back(&h.known[i]);
  }
  for (size_t i = 0; i < candidates.size() && i < kMaxCandidates; ++i) {
    std::string why = Impossibility(h, *candidates[i], state);
    if (why.empty()) why = "it could come next, but then no order of the rest is consistent";
    s += "  " + ToString(history[candidates[i]->source]) + ": " + why + "\n";
  }
  if (candidates.size() > kMaxCandidates) {
    s += "  ... " + Count(candidates.size() - kMaxCandidates, "more candidate") + "\n";
  }
  // Pending unknown-outcome writes are candidates too, but listing every
  // timed-out write since the start would bury the ones above.
  size_t pending = 0;
  for (size_t i = 0; i < h.unknown.size(); ++i) {
    pending += !done_unknown[i] && h.unknown[i].call <= first_return->ret;
  }
  if (pending > 0) {
    s += "  (and " + Count(pending, "unknown-outcome write") +
         " that may still take effect, which does not help either)\n";
  }
  return s;
}

}  // namespace cairn::check
