#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cairn/raft_request.pb.h"

namespace cairn::api {

// What etcd's Cluster service needs from the node to change membership.
class MembershipBackend {
 public:
  virtual ~MembershipBackend() = default;
  // Proposes a membership request (RaftRequest.membership or
  // member_peer_update) through the data group, on the leader. `done` gets
  // Ok once it is applied and NodeInfo::members() on this node shows it,
  // or etcd's error.
  virtual void ChangeMembers(const cairnpb::RaftRequest& request,
                             std::function<void(Status)> done) = 0;
  // A fresh member id for these peer URLs: never 0, never an id the cluster
  // has (or had).
  virtual uint64_t NewMemberId(const std::vector<std::string>& peer_urls) = 0;
};

}  // namespace cairn::api
