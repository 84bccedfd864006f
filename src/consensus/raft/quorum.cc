#include "consensus/raft/quorum.h"

#include <algorithm>
#include <limits>

namespace cairn::raft {
namespace {

uint64_t MajorityCommitted(const std::vector<NodeId>& ids,
                           const std::function<uint64_t(NodeId)>& value_of) {
  // An empty set imposes no constraint, so that a joint quorum with no
  // outgoing half reduces to the incoming half.
  if (ids.empty()) return std::numeric_limits<uint64_t>::max();
  std::vector<uint64_t> values;
  values.reserve(ids.size());
  for (NodeId id : ids)
    values.push_back(value_of(id));
  std::sort(values.begin(), values.end(), std::greater<>());
  return values[ids.size() / 2];
}

VoteResult MajorityTally(const std::vector<NodeId>& ids, const std::map<NodeId, bool>& votes) {
  if (ids.empty()) return VoteResult::kWon;
  size_t granted = 0, rejected = 0;
  for (NodeId id : ids) {
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    (it->second ? granted : rejected)++;
  }
  const size_t majority = ids.size() / 2 + 1;
  if (granted >= majority) return VoteResult::kWon;
  if (ids.size() - rejected < majority) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace

Quorum::Quorum(std::vector<NodeId> incoming, std::vector<NodeId> outgoing)
    : incoming_(std::move(incoming)), outgoing_(std::move(outgoing)) {}

uint64_t Quorum::Committed(const std::function<uint64_t(NodeId)>& value_of) const {
  if (incoming_.empty() && outgoing_.empty()) return 0;
  return std::min(MajorityCommitted(incoming_, value_of), MajorityCommitted(outgoing_, value_of));
}

VoteResult Quorum::Tally(const std::map<NodeId, bool>& votes) const {
  const VoteResult in = MajorityTally(incoming_, votes);
  const VoteResult out = MajorityTally(outgoing_, votes);
  if (in == VoteResult::kLost || out == VoteResult::kLost) return VoteResult::kLost;
  if (in == VoteResult::kWon && out == VoteResult::kWon) return VoteResult::kWon;
  return VoteResult::kPending;
}

bool Quorum::IsVoter(NodeId id) const {
  return std::find(incoming_.begin(), incoming_.end(), id) != incoming_.end() ||
         std::find(outgoing_.begin(), outgoing_.end(), id) != outgoing_.end();
}

std::vector<NodeId> Quorum::AllVoters() const {
  std::vector<NodeId> all = incoming_;
  for (NodeId id : outgoing_) {
    if (std::find(all.begin(), all.end(), id) == all.end()) all.push_back(id);
  }
  std::sort(all.begin(), all.end());
  return all;
}

bool Quorum::SingleVoter() const {
  auto all = AllVoters();
  return all.size() == 1;
}

}  // namespace cairn::raft
