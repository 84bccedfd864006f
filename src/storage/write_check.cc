#include "storage/write_check.h"

namespace cairn::storage {

WriteCheck::Projected& WriteCheck::Get(uint64_t group) {
  auto it = projected_.find(group);
  if (it != projected_.end()) return it->second;
  Projected p;
  auto g = durable_.find(group);
  if (g != durable_.end()) {
    p.log = &g->second;
    p.snap_index = g->second.snapshot.index;
    p.snap_term = g->second.snapshot.term;
    p.last = p.durable_upto = g->second.last_index();
  }
  return projected_[group] = std::move(p);
}

std::optional<raft::Term> WriteCheck::TermAt(const Projected& p, raft::Index i) {
  if (i == p.snap_index) return p.snap_term;
  if (i < p.snap_index || i > p.last) return std::nullopt;
  if (i <= p.durable_upto && p.log != nullptr) return p.log->TermAt(i);
  auto it = p.written.find(i);
  if (it == p.written.end()) return std::nullopt;
  return it->second;
}

bool WriteCheck::Apply(Projected& p, const GroupWrite& w) {
  if (w.snapshot && w.snapshot->index > p.snap_index) {
    if (TermAt(p, w.snapshot->index) != w.snapshot->term) {
      p.last = w.snapshot->index;
      p.durable_upto = 0;
      p.written.clear();
    }
    p.snap_index = w.snapshot->index;
    p.snap_term = w.snapshot->term;
  }
  for (const raft::Entry& e : w.entries) {
    if (e.index <= p.snap_index) continue;
    if (e.index > p.last + 1) return false;
    if (e.index <= p.durable_upto) p.durable_upto = e.index - 1;
    p.written.erase(p.written.lower_bound(e.index), p.written.end());
    p.written[e.index] = e.term;
    p.last = e.index;
  }
  return true;
}

bool WriteCheck::Accept(const std::vector<GroupWrite>& writes) {
  std::map<uint64_t, Projected> before;
  for (const GroupWrite& w : writes) {
    if (!before.count(w.group)) before[w.group] = Get(w.group);
  }
  for (const GroupWrite& w : writes) {
    if (!Apply(Get(w.group), w)) {
      for (auto& [group, p] : before)
        projected_[group] = std::move(p);
      return false;
    }
  }
  return true;
}

}  // namespace cairn::storage
