#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"

namespace cairn::ctl {

// One member's line in `cluster status`.
struct MemberStatusRow {
  std::string name;
  uint64_t id = 0;
  std::string endpoint;  // empty when no client URL is known
  std::string role;      // leader, follower, learner
  uint64_t raft_term = 0;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  int64_t db_size = 0;
  bool reachable = false;  // whether the member answered Status
  std::string error;       // why not, or the errors it reports (alarms)
};

// Asks one endpoint (a gRPC target) for its Maintenance.Status.
using StatusFetcher =
    std::function<Result<etcdserverpb::StatusResponse>(const std::string& endpoint)>;

// Every member of `members`, in order, with its status. A member is asked at
// its first client URL; a member without one (Cairn lists client URLs only
// for the member answering) at whichever of `endpoints` says it is that
// member. The leader is the one the most recent term's answers name.
std::vector<MemberStatusRow> CollectClusterStatus(const etcdserverpb::MemberListResponse& members,
                                                  const std::vector<std::string>& endpoints,
                                                  const StatusFetcher& fetch);

std::string ClusterStatusTable(const std::vector<MemberStatusRow>& rows);
std::string ClusterStatusSimple(const std::vector<MemberStatusRow>& rows);
std::string ClusterStatusJson(const std::vector<MemberStatusRow>& rows);

}  // namespace cairn::ctl
