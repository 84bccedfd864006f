#pragma once

#include <functional>
#include <map>
#include <vector>

#include "consensus/raft/types.h"

namespace cairn::raft {

enum class VoteResult { kPending, kWon, kLost };

// The voter sets whose majorities decide: one set normally, two during joint
// consensus (a decision needs a majority of each).
class Quorum {
 public:
  Quorum() = default;
  Quorum(std::vector<NodeId> incoming, std::vector<NodeId> outgoing);
  explicit Quorum(const ConfState& conf) : Quorum(conf.voters, conf.voters_outgoing) {}

  // The largest value that a quorum has reached, given each voter's value
  // (match index, acknowledged lease tick, ...). Missing voters count as 0.
  uint64_t Committed(const std::function<uint64_t(NodeId)>& value_of) const;

  // votes: voter -> granted. Voters absent from the map have not answered.
  VoteResult Tally(const std::map<NodeId, bool>& votes) const;

  bool IsVoter(NodeId id) const;
  // Every voter of either set, each once.
  std::vector<NodeId> AllVoters() const;
  bool SingleVoter() const;

 private:
  std::vector<NodeId> incoming_;
  std::vector<NodeId> outgoing_;
};

}  // namespace cairn::raft
