#include "check/linearizability.h"

#include <map>

#include "check/explain.h"
#include "check/key_history.h"
#include "check/search.h"
#include "check/unwritten_read.h"

namespace cairn::check {
namespace {

CheckResult CheckKey(const History& history, const std::vector<size_t>& indices,
                     const CheckOptions& options, std::chrono::steady_clock::time_point deadline) {
  const KeyHistory h = BuildKeyHistory(history, indices);
  if (std::string why = FindUnwrittenRead(h, history); !why.empty()) {
    return {CheckResult::kViolation, h.key, std::move(why)};
  }
  const SearchOutcome out = Search(h, {options.max_states_per_key, deadline});
  switch (out.result) {
    case SearchOutcome::kLinearizable:
      return {};
    case SearchOutcome::kNotLinearizable:
      return {CheckResult::kViolation, h.key, ExplainViolation(h, history, out.longest_prefix)};
    case SearchOutcome::kBudgetExhausted:
      break;
  }
  return {CheckResult::kUnknown, h.key,
          "key " + Quote(h.key) + ": search budget exhausted after " + std::to_string(out.states) +
              " states (" + std::to_string(h.known.size()) + " known-outcome operations, " +
              std::to_string(h.unknown.size()) + " unknown-outcome writes)"};
}

}  // namespace

std::string_view VerdictName(CheckResult::Verdict verdict) {
  switch (verdict) {
    case CheckResult::kOk:
      return "ok";
    case CheckResult::kViolation:
      return "violation";
    case CheckResult::kUnknown:
      return "unknown";
  }
  return "?";
}

CheckResult CheckLinearizable(const std::vector<Operation>& history, const CheckOptions& options) {
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (op.known && op.ret < op.call) {
      return {CheckResult::kUnknown, op.key,
              "invalid history: operation " + std::to_string(i) +
                  " returns before its call: " + ToString(op)};
    }
    by_key[op.key].push_back(i);
  }
  const auto deadline = options.time_budget.count() > 0
                            ? std::chrono::steady_clock::now() + options.time_budget
                            : std::chrono::steady_clock::time_point::max();
  CheckResult undecided;
  for (const auto& [key, indices] : by_key) {
    CheckResult r = CheckKey(history, indices, options, deadline);
    if (r.verdict == CheckResult::kViolation) return r;
    if (r.verdict == CheckResult::kUnknown && undecided.verdict == CheckResult::kOk) {
      undecided = std::move(r);
    }
  }
  return undecided;
}

}  // namespace cairn::check
