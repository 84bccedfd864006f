#include "check/unwritten_read.h"

#include <vector>

namespace cairn::check {

std::string FindUnwrittenRead(const KeyHistory& h, const History& history) {
  std::vector<bool> written(h.values.size(), false);
  for (const auto* ops : {&h.known, &h.unknown}) {
    for (const KeyOp& op : *ops) {
      if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) written[op.value] = true;
    }
  }
  for (const KeyOp& op : h.known) {
    std::string what;
    if (op.kind == OpKind::kGet && op.value != kAbsent && !written[op.value]) {
      what = "read " + Quote(h.values[op.value]);
    } else if (op.kind == OpKind::kCas && op.cas_ok && !written[op.expected]) {
      what = "succeeded expecting " + Quote(h.values[op.expected]);
    } else {
      continue;
    }
    return "key " + Quote(h.key) + " is not linearizable: " + ToString(history[op.source]) + " " +
           what + ", a value that no operation on this key ever wrote.";
  }
  return "";
}

}  // namespace cairn::check
