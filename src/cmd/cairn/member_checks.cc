#include "cmd/cairn/member_checks.h"

#include "api/etcd_errors.h"
#include "kv/members.h"

namespace cairn::cmd {

namespace {

struct Voters {
  int total = 0;
  int started = 0;  // published its name (etcd's IsStarted)
  int active = 0;   // heard from lately (etcd: connected)
};

// Voters in the table, leaving out `except`.
Voters CountVoters(const cluster::MembershipView& view, const cairnpb::MemberTable& table,
                   uint64_t except = 0) {
  Voters v;
  for (const cairnpb::MemberInfo& m : table.members()) {
    if (m.is_learner() || m.id() == except) continue;
    ++v.total;
    if (!m.name().empty()) ++v.started;
    auto it = view.peers.find(m.id());
    if (it != view.peers.end() && it->second.active) ++v.active;
  }
  return v;
}

int Quorum(int n) {
  return n / 2 + 1;
}

}  // namespace

Status CheckMembershipChange(const cairnpb::MembershipChange& change,
                             const cluster::MembershipView& view,
                             const cairnpb::MemberTable& table) {
  const uint64_t id = change.member().id();
  const cairnpb::MemberInfo* member = kv::FindMember(table, id);
  switch (change.kind()) {
    case cairnpb::MembershipChange::ADD_VOTER:
    case cairnpb::MembershipChange::ADD_LEARNER: {
      if (member != nullptr) return kv::MemberStatus(kv::MemberError::kMemberExists);
      if (kv::PeerUrlsTaken(table, change.member().peer_urls(), 0)) {
        return kv::MemberStatus(kv::MemberError::kPeerUrlExists);
      }
      if (change.kind() == cairnpb::MembershipChange::ADD_LEARNER) {
        int learners = 0;
        for (const cairnpb::MemberInfo& m : table.members())
          learners += m.is_learner() ? 1 : 0;
        if (learners + 1 > kMaxLearners) return api::EtcdStatus(api::EtcdError::kTooManyLearners);
        return Status::Ok();
      }
      Voters v = CountVoters(view, table);
      if (v.started < Quorum(v.total + 1)) {
        return api::EtcdStatus(api::EtcdError::kNotEnoughStarted);
      }
      if (v.active < v.total) return api::EtcdStatus(api::EtcdError::kUnhealthy);
      return Status::Ok();
    }
    case cairnpb::MembershipChange::REMOVE: {
      if (member == nullptr) return kv::MemberStatus(kv::MemberError::kMemberNotFound);
      if (member->is_learner()) return Status::Ok();
      Voters rest = CountVoters(view, table, id);
      if (rest.started < Quorum(rest.total)) {
        return api::EtcdStatus(api::EtcdError::kNotEnoughStarted);
      }
      auto it = view.peers.find(id);
      const bool down = it == view.peers.end() || !it->second.active;
      // A member that is down is not part of the active quorum.
      if (down && id != view.leader) return Status::Ok();
      Voters all = CountVoters(view, table);
      if (all.active - 1 < 1 + (all.total - 1) / 2) {
        return api::EtcdStatus(api::EtcdError::kUnhealthy);
      }
      return Status::Ok();
    }
    case cairnpb::MembershipChange::PROMOTE: {
      if (member == nullptr) return kv::MemberStatus(kv::MemberError::kMemberNotFound);
      if (!member->is_learner()) return kv::MemberStatus(kv::MemberError::kMemberNotLearner);
      auto learner = view.peers.find(id);
      auto leader = view.peers.find(view.leader);
      if (learner != view.peers.end() && leader != view.peers.end() &&
          static_cast<double>(learner->second.match) <
              static_cast<double>(leader->second.match) * kLearnerReadyPercent) {
        return api::EtcdStatus(api::EtcdError::kLearnerNotReady);
      }
      Voters v = CountVoters(view, table, id);
      if (v.started + 1 < Quorum(v.total + 1)) {
        return api::EtcdStatus(api::EtcdError::kNotEnoughStarted);
      }
      return Status::Ok();
    }
    default:
      return Status(Code::kInvalidArgument, "cairn: unknown membership change");
  }
}

}  // namespace cairn::cmd
