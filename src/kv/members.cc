#include "kv/members.h"

#include <algorithm>

#include "kv/mvcc_key.h"
#include "kv/read_view.h"

namespace cairn::kv {

Status MemberStatus(MemberError error) {
  switch (error) {
    case MemberError::kMemberExists:
      return Status(Code::kFailedPrecondition, "etcdserver: member ID already exist");
    case MemberError::kPeerUrlExists:
      return Status(Code::kFailedPrecondition, "etcdserver: Peer URLs already exists");
    case MemberError::kMemberNotFound:
      return Status(Code::kNotFound, "etcdserver: member not found");
    case MemberError::kMemberNotLearner:
      return Status(Code::kFailedPrecondition, "etcdserver: can only promote a learner member");
  }
  return Status(Code::kInternal, "unknown member error");
}

std::string MemberTableKey() {
  return std::string(1, kMetaTag) + "members";
}

raft::ConfState ConfOf(const cairnpb::MemberTable& table) {
  raft::ConfState conf;
  for (const cairnpb::MemberInfo& m : table.members()) {
    (m.is_learner() ? conf.learners : conf.voters).push_back(m.id());
  }
  std::sort(conf.voters.begin(), conf.voters.end());
  std::sort(conf.learners.begin(), conf.learners.end());
  return conf;
}

raft::ConfChange ConfChangeOf(const cairnpb::MembershipChange& change) {
  raft::ConfChangeItem item;
  item.node = change.member().id();
  switch (change.kind()) {
    case cairnpb::MembershipChange::ADD_LEARNER:
      item.type = raft::ConfChangeType::kAddLearner;
      break;
    case cairnpb::MembershipChange::REMOVE:
      item.type = raft::ConfChangeType::kRemoveNode;
      break;
    default:  // ADD_VOTER, PROMOTE (a learner added as a voter)
      item.type = raft::ConfChangeType::kAddVoter;
      break;
  }
  raft::ConfChange cc;
  cc.changes.push_back(item);
  return cc;
}

const cairnpb::MemberInfo* FindMember(const cairnpb::MemberTable& table, uint64_t id) {
  for (const cairnpb::MemberInfo& m : table.members()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

bool PeerUrlsTaken(const cairnpb::MemberTable& table,
                   const google::protobuf::RepeatedPtrField<std::string>& peer_urls,
                   uint64_t except) {
  for (const cairnpb::MemberInfo& m : table.members()) {
    if (m.id() == except) continue;
    for (const std::string& url : m.peer_urls()) {
      if (std::find(peer_urls.begin(), peer_urls.end(), url) != peer_urls.end()) return true;
    }
  }
  return false;
}

Result<cairnpb::MemberTable> ReadMemberTable(RawReader* reader) {
  cairnpb::MemberTable table;
  std::string value;
  bool found = false;
  if (Status s = reader->Get(MemberTableKey(), &value, &found); !s.ok()) return s;
  if (found && !table.ParseFromString(value)) {
    return Status(Code::kDataLoss, "malformed member table record");
  }
  return table;
}

namespace {

cairnpb::MemberInfo* FindMutable(cairnpb::MemberTable* table, uint64_t id) {
  for (cairnpb::MemberInfo& m : *table->mutable_members()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

Status ApplyChange(const cairnpb::MembershipChange& change, cairnpb::MemberTable* table) {
  const uint64_t id = change.member().id();
  cairnpb::MemberInfo* existing = FindMutable(table, id);
  // The same verdict as the Raft core's on the same membership.
  Result<raft::ConfState> next = raft::ApplyConfChange(ConfOf(*table), ConfChangeOf(change));
  switch (change.kind()) {
    case cairnpb::MembershipChange::ADD_VOTER:
    case cairnpb::MembershipChange::ADD_LEARNER: {
      if (existing != nullptr) return MemberStatus(MemberError::kMemberExists);
      if (!next.ok()) return next.status();
      cairnpb::MemberInfo* m = table->add_members();
      *m = change.member();
      m->set_is_learner(change.kind() == cairnpb::MembershipChange::ADD_LEARNER);
      return Status::Ok();
    }
    case cairnpb::MembershipChange::PROMOTE:
      if (existing == nullptr) return MemberStatus(MemberError::kMemberNotFound);
      if (!existing->is_learner()) return MemberStatus(MemberError::kMemberNotLearner);
      if (!next.ok()) return next.status();
      existing->set_is_learner(false);
      return Status::Ok();
    case cairnpb::MembershipChange::REMOVE: {
      if (existing == nullptr) return MemberStatus(MemberError::kMemberNotFound);
      if (!next.ok()) return next.status();
      auto* members = table->mutable_members();
      members->erase(std::find_if(members->begin(), members->end(),
                                  [&](const cairnpb::MemberInfo& m) { return m.id() == id; }));
      table->add_removed(id);
      return Status::Ok();
    }
    default:
      return Status(Code::kInvalidArgument, "cairn: unknown membership change");
  }
}

}  // namespace

Status ApplyMemberRequest(const cairnpb::RaftRequest& request, cairnpb::MemberTable* table) {
  if (request.has_membership()) return ApplyChange(request.membership(), table);
  if (request.has_member_attributes()) {
    const cairnpb::MemberAttributes& a = request.member_attributes();
    cairnpb::MemberInfo* m = FindMutable(table, a.id());
    if (m == nullptr) return MemberStatus(MemberError::kMemberNotFound);
    m->set_name(a.name());
    *m->mutable_client_urls() = a.client_urls();
    return Status::Ok();
  }
  if (request.has_member_peer_update()) {
    const cairnpb::MemberPeerUpdate& u = request.member_peer_update();
    cairnpb::MemberInfo* m = FindMutable(table, u.id());
    if (m == nullptr) return MemberStatus(MemberError::kMemberNotFound);
    if (PeerUrlsTaken(*table, u.peer_urls(), u.id())) {
      return MemberStatus(MemberError::kPeerUrlExists);
    }
    *m->mutable_peer_urls() = u.peer_urls();
    return Status::Ok();
  }
  return Status(Code::kInvalidArgument, "cairn: not a membership request");
}

}  // namespace cairn::kv
