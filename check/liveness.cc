#include "check/liveness.h"

#include <algorithm>

namespace cairn::check {

ValueLiveness::ValueLiveness(const KeyHistory& h)
    : observers_(h.values.size()), pending_cases_(h.values.size(), 0) {
  for (size_t i = 0; i < h.known.size(); ++i) {
    const KeyOp& op = h.known[i];
    const int32_t named = op.kind == OpKind::kGet   ? op.value
                          : op.kind == OpKind::kCas ? op.expected
                                                    : kAbsent;
    if (named != kAbsent) observers_[named].push_back(static_cast<int32_t>(i));
  }
  for (const KeyOp& op : h.unknown) {
    if (op.kind == OpKind::kCas) ++pending_cases_[op.expected];
  }
}

bool ValueLiveness::Dead(int32_t value, const std::vector<uint64_t>& known, int32_t lo,
                         int32_t hi) const {
  if (value == kAbsent || pending_cases_[value] > 0) return false;
  const std::vector<int32_t>& obs = observers_[value];
  if (obs.empty()) return true;
  if (obs.back() > hi) return false;
  for (auto it = std::lower_bound(obs.begin(), obs.end(), lo); it != obs.end(); ++it) {
    if (((known[*it >> 6] >> (*it & 63)) & 1) == 0) return false;
  }
  return true;
}

}  // namespace cairn::check
