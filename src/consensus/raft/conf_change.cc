#include "consensus/raft/conf_change.h"

#include <algorithm>
#include <set>

#include "base/coding.h"

namespace cairn::raft {
namespace {

bool Contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

void Erase(std::vector<NodeId>* v, NodeId id) {
  v->erase(std::remove(v->begin(), v->end(), id), v->end());
}

void Insert(std::vector<NodeId>* v, NodeId id) {
  if (!Contains(*v, id)) v->push_back(id);
  std::sort(v->begin(), v->end());
}

size_t VoterDifference(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::set<NodeId> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  size_t diff = 0;
  for (NodeId id : sa)
    diff += sb.count(id) == 0;
  for (NodeId id : sb)
    diff += sa.count(id) == 0;
  return diff;
}

constexpr uint8_t kVersion = 1;

}  // namespace

std::string EncodeConfChange(const ConfChange& cc) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>((cc.force_joint ? 1 : 0) | (cc.explicit_leave ? 2 : 0)));
  PutFixed64(&out, cc.changes.size());
  for (const auto& item : cc.changes) {
    out.push_back(static_cast<char>(item.type));
    PutFixed64(&out, item.node);
  }
  // Absent when empty, so entries written before contexts existed decode alike.
  if (!cc.context.empty()) {
    PutFixed64(&out, cc.context.size());
    out.append(cc.context);
  }
  return out;
}

Result<ConfChange> DecodeConfChange(const std::string& data) {
  const Status corrupt(Code::kDataLoss, "malformed conf change entry");
  if (data.size() < 2 || static_cast<uint8_t>(data[0]) != kVersion) return corrupt;
  ConfChange cc;
  cc.force_joint = data[1] & 1;
  cc.explicit_leave = data[1] & 2;
  Slice in(data.data() + 2, data.size() - 2);
  uint64_t n = 0;
  if (!GetFixed64(&in, &n) || n > in.size() / 9) return corrupt;
  for (uint64_t i = 0; i < n; i++) {
    ConfChangeItem item;
    const uint8_t type = in.byte(0);
    in.remove_prefix(1);
    if (type > static_cast<uint8_t>(ConfChangeType::kRemoveNode)) return corrupt;
    item.type = static_cast<ConfChangeType>(type);
    if (!GetFixed64(&in, &item.node)) return corrupt;
    cc.changes.push_back(item);
  }
  if (!in.empty()) {
    uint64_t len = 0;
    if (!GetFixed64(&in, &len) || len == 0 || len != in.size()) return corrupt;
    cc.context.assign(in.data(), in.size());
  }
  return cc;
}

Result<ConfState> ApplyConfChange(const ConfState& conf, const ConfChange& cc) {
  if (cc.LeaveJoint()) {
    if (!conf.Joint()) return Status(Code::kFailedPrecondition, "not in a joint configuration");
    ConfState next = conf;
    next.voters_outgoing.clear();
    for (NodeId id : next.learners_next)
      Insert(&next.learners, id);
    next.learners_next.clear();
    next.auto_leave = false;
    return next;
  }
  if (conf.Joint()) {
    return Status(Code::kFailedPrecondition, "a joint configuration must be left first");
  }
  ConfState next = conf;
  const bool joint = cc.force_joint || cc.explicit_leave || cc.changes.size() > 1;
  if (joint) next.voters_outgoing = conf.voters;
  for (const auto& item : cc.changes) {
    if (item.node == kNoNode) return Status(Code::kInvalidArgument, "node id 0 is reserved");
    switch (item.type) {
      case ConfChangeType::kAddVoter:
        Erase(&next.learners, item.node);
        Erase(&next.learners_next, item.node);
        Insert(&next.voters, item.node);
        break;
      case ConfChangeType::kAddLearner:
        Erase(&next.voters, item.node);
        // A voter of the outgoing set keeps voting until the joint state is
        // left; only then does it become a learner.
        if (joint && Contains(next.voters_outgoing, item.node)) {
          Insert(&next.learners_next, item.node);
        } else {
          Insert(&next.learners, item.node);
        }
        break;
      case ConfChangeType::kRemoveNode:
        Erase(&next.voters, item.node);
        Erase(&next.learners, item.node);
        Erase(&next.learners_next, item.node);
        break;
    }
  }
  if (next.voters.empty()) return Status(Code::kInvalidArgument, "removing all voters");
  if (!joint && VoterDifference(conf.voters, next.voters) > 1) {
    return Status(Code::kInvalidArgument, "more than one voter changed without joint consensus");
  }
  if (joint) next.auto_leave = !cc.explicit_leave;
  if (joint && next.voters == next.voters_outgoing && next.learners_next.empty()) {
    // Nothing about the voters changes; no need to pass through joint.
    next.voters_outgoing.clear();
    next.auto_leave = false;
  }
  return next;
}

std::string ConfStateToString(const ConfState& conf) {
  auto list = [](const std::vector<NodeId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); i++)
      s += (i ? "," : "") + std::to_string(ids[i]);
    return s + "]";
  };
  std::string s = "voters=" + list(conf.voters);
  if (conf.Joint()) s += "&&" + list(conf.voters_outgoing);
  if (!conf.learners.empty()) s += " learners=" + list(conf.learners);
  if (!conf.learners_next.empty()) s += " learners_next=" + list(conf.learners_next);
  return s;
}

}  // namespace cairn::raft
