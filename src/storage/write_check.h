#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "storage/log_index.h"
#include "storage/wal.h"

namespace cairn::storage {

// Decides, before a batch is written, whether each write would leave a gap
// in its group's log, by projecting the log forward with exactly the rules
// GroupLog applies once the batch is durable. A gap written to disk would
// make the log unreadable at the next recovery, so it must be refused first.
class WriteCheck {
 public:
  explicit WriteCheck(const GroupLogs& durable) : durable_(durable) {}

  // Accepts `writes` into the projection, or refuses them and leaves the
  // projection as if they had never been seen.
  bool Accept(const std::vector<GroupWrite>& writes);

 private:
  struct Projected {
    raft::Index snap_index = 0;
    raft::Term snap_term = 0;
    raft::Index last = 0;
    raft::Index durable_upto = 0;               // durable entries still part of the log
    std::map<raft::Index, raft::Term> written;  // entries from this batch
    const GroupLog* log = nullptr;
  };
  static std::optional<raft::Term> TermAt(const Projected& p, raft::Index i);
  static bool Apply(Projected& p, const GroupWrite& w);
  Projected& Get(uint64_t group);

  const GroupLogs& durable_;
  std::map<uint64_t, Projected> projected_;
};

}  // namespace cairn::storage
