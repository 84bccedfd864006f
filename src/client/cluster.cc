#include "client/cluster.h"

namespace cairn::client {

using ClusterService = etcdserverpb::Cluster;

Result<etcdserverpb::MemberListResponse> Cluster::List() {
  return connection_.Call<ClusterService>(&ClusterService::Stub::MemberList,
                                          etcdserverpb::MemberListRequest());
}

// Membership changes are not idempotent (adding twice adds two members;
// removing twice fails the second time): no retry after an ambiguous error.
Result<etcdserverpb::MemberAddResponse> Cluster::Add(const std::vector<std::string>& peer_urls,
                                                     bool learner) {
  etcdserverpb::MemberAddRequest request;
  for (const std::string& url : peer_urls)
    request.add_peerurls(url);
  request.set_islearner(learner);
  return connection_.Call<ClusterService>(&ClusterService::Stub::MemberAdd, request,
                                          {.idempotent = false});
}

Result<etcdserverpb::MemberRemoveResponse> Cluster::Remove(uint64_t id) {
  etcdserverpb::MemberRemoveRequest request;
  request.set_id(id);
  return connection_.Call<ClusterService>(&ClusterService::Stub::MemberRemove, request,
                                          {.idempotent = false});
}

Result<etcdserverpb::MemberUpdateResponse> Cluster::Update(
    uint64_t id, const std::vector<std::string>& peer_urls) {
  etcdserverpb::MemberUpdateRequest request;
  request.set_id(id);
  for (const std::string& url : peer_urls)
    request.add_peerurls(url);
  return connection_.Call<ClusterService>(&ClusterService::Stub::MemberUpdate, request);
}

Result<etcdserverpb::MemberPromoteResponse> Cluster::Promote(uint64_t id) {
  etcdserverpb::MemberPromoteRequest request;
  request.set_id(id);
  return connection_.Call<ClusterService>(&ClusterService::Stub::MemberPromote, request,
                                          {.idempotent = false});
}

}  // namespace cairn::client
