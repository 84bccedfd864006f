#include "storage/log_index.h"

#include <string>

namespace cairn::storage {

const EntryLocation* GroupLog::Find(raft::Index index) const {
  if (index < first_index() || index > last_index()) return nullptr;
  return &entries[index - first_index()];
}

std::optional<raft::Term> GroupLog::TermAt(raft::Index index) const {
  if (index == snapshot.index) return snapshot.term;
  const EntryLocation* loc = Find(index);
  if (loc == nullptr) return std::nullopt;
  return loc->term;
}

Status GroupLog::AppendEntry(raft::Index index, const EntryLocation& loc, bool hole_allowed) {
  if (hole_pending && index <= snapshot.index && index > hole_base.index) {
    // A rewrite from inside the hole: for the writer it cut every entry
    // from `index` on, those after the hole included, so replay must too;
    // the hole now ends just before it (or is gone).
    entries.clear();
    if (index - 1 == hole_base.index) {
      snapshot = hole_base;
      hole_pending = false;
    } else {
      snapshot = raft::SnapshotMeta{index - 1, 0, {}};
    }
    entries.push_back(loc);
    return Status::Ok();
  }
  if (index <= snapshot.index) return Status::Ok();  // already covered by the snapshot
  if (index > last_index() + 1 && hole_allowed) {
    if (!hole_pending) hole_base = snapshot;
    entries.clear();
    snapshot = raft::SnapshotMeta{index - 1, 0, {}};
    hole_pending = true;
  }
  if (index > last_index() + 1) {
    return Status(Code::kDataLoss, "wal: entry " + std::to_string(index) + " follows last index " +
                                       std::to_string(last_index()) + " (gap in the log)");
  }
  entries.resize(index - first_index());
  entries.push_back(loc);
  return Status::Ok();
}

void GroupLog::ApplySnapshot(const raft::SnapshotMeta& meta) {
  if (hole_pending && meta.index == snapshot.index) {
    snapshot = meta;  // fills the hole exactly; the entries after it stay
    hole_pending = false;
    return;
  }
  if (meta.index <= snapshot.index) return;
  hole_pending = false;
  std::optional<raft::Term> term = TermAt(meta.index);
  if (term && *term == meta.term) {
    entries.erase(entries.begin(),
                  entries.begin() + static_cast<long>(meta.index - snapshot.index));
  } else {
    entries.clear();
  }
  snapshot = meta;
}

}  // namespace cairn::storage
