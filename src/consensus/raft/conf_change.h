#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "consensus/raft/types.h"

namespace cairn::raft {

enum class ConfChangeType : uint8_t { kAddVoter = 0, kAddLearner = 1, kRemoveNode = 2 };

struct ConfChangeItem {
  ConfChangeType type = ConfChangeType::kAddVoter;
  NodeId node = kNoNode;
  bool operator==(const ConfChangeItem&) const = default;
};

// One membership change. A single item that moves at most one voter is
// applied in one step; anything else enters joint consensus, which is left
// automatically (auto_leave) or by proposing an empty ConfChange.
struct ConfChange {
  std::vector<ConfChangeItem> changes;
  bool force_joint = false;     // use joint consensus even for a single step
  bool explicit_leave = false;  // stay joint until an empty change is proposed
  // Opaque to the core; travels with the entry for the node's state machine
  // (as etcd's ConfChange.Context: the member's metadata).
  std::string context = {};

  bool LeaveJoint() const { return changes.empty(); }
  bool operator==(const ConfChange&) const = default;
};

std::string EncodeConfChange(const ConfChange& cc);
Result<ConfChange> DecodeConfChange(const std::string& data);

// The membership that results from applying `cc` to `conf`, or why `cc` is
// not allowed from `conf`.
Result<ConfState> ApplyConfChange(const ConfState& conf, const ConfChange& cc);

std::string ConfStateToString(const ConfState& conf);

}  // namespace cairn::raft
