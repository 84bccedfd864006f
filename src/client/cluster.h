#pragma once

#include <string>
#include <vector>

#include "client/connection.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::client {

// etcd's Cluster service: membership.
class Cluster {
 public:
  explicit Cluster(Connection& connection) : connection_(connection) {}

  Result<etcdserverpb::MemberListResponse> List();
  Result<etcdserverpb::MemberAddResponse> Add(const std::vector<std::string>& peer_urls,
                                              bool learner);
  Result<etcdserverpb::MemberRemoveResponse> Remove(uint64_t id);
  Result<etcdserverpb::MemberUpdateResponse> Update(uint64_t id,
                                                    const std::vector<std::string>& peer_urls);
  Result<etcdserverpb::MemberPromoteResponse> Promote(uint64_t id);

 private:
  Connection& connection_;
};

}  // namespace cairn::client
