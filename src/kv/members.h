#pragma once

#include <string>

#include "base/status.h"
#include "cairn/membership.pb.h"
#include "cairn/raft_request.pb.h"
#include "consensus/raft/conf_change.h"

// Cluster membership as replicated state of the data group: one record
// holding every member (id, name, peer and client URLs, learner flag) and
// the ids removed so far, written in the same RocksDB batch as the entry
// that changed it, so snapshots and restarts carry it with the data.
namespace cairn::kv {

// Errors the member table itself decides, with etcd v3.4's code and
// message (rpctypes). Errors decided before proposing (learner not ready,
// too many learners, unhealthy cluster) are the server's: api/etcd_errors.h.
enum class MemberError {
  kMemberExists,     // FailedPrecondition "etcdserver: member ID already exist"
  kPeerUrlExists,    // FailedPrecondition "etcdserver: Peer URLs already exists"
  kMemberNotFound,   // NotFound "etcdserver: member not found"
  kMemberNotLearner  // FailedPrecondition "etcdserver: can only promote a learner member"
};
Status MemberStatus(MemberError error);

// The record's key in the group's state machine ('m' metadata space).
std::string MemberTableKey();

// The Raft membership the table describes (voters and learners, sorted).
raft::ConfState ConfOf(const cairnpb::MemberTable& table);

// The configuration change a membership request asks the Raft core for.
raft::ConfChange ConfChangeOf(const cairnpb::MembershipChange& change);

const cairnpb::MemberInfo* FindMember(const cairnpb::MemberTable& table, uint64_t id);
// A member (other than `except`) already using one of `peer_urls`.
bool PeerUrlsTaken(const cairnpb::MemberTable& table,
                   const google::protobuf::RepeatedPtrField<std::string>& peer_urls,
                   uint64_t except);

class RawReader;
// The stored table (empty when none was ever written).
Result<cairnpb::MemberTable> ReadMemberTable(RawReader* reader);

// Applies a membership request (membership, member_attributes or
// member_peer_update) to `table`. A change the Raft core refuses from the
// same membership is refused here too (ApplyConfChange on ConfOf(table)),
// so the table and the core's configuration never disagree; such a refusal
// and every other error leave the table as it was.
Status ApplyMemberRequest(const cairnpb::RaftRequest& request, cairnpb::MemberTable* table);

inline bool IsMemberRequest(const cairnpb::RaftRequest& request) {
  return request.has_membership() || request.has_member_attributes() ||
         request.has_member_peer_update();
}

}  // namespace cairn::kv
