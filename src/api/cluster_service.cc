#include "api/cluster_service.h"

#include "api/etcd_errors.h"

namespace cairn::api {

namespace {

grpc::Status ToGrpcStatus(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), s.message());
}

void FillHeader(const NodeInfo& node, etcdserverpb::ResponseHeader* h) {
  NodeInfo::State s = node.state();
  h->set_cluster_id(s.cluster_id);
  h->set_member_id(s.member_id);
  h->set_raft_term(s.term);
}

void FillMember(const NodeInfo::Member& m, etcdserverpb::Member* out) {
  out->set_id(m.id);
  out->set_name(m.name);
  for (const std::string& u : m.peer_urls)
    out->add_peerurls(u);
  for (const std::string& u : m.client_urls)
    out->add_clienturls(u);
  out->set_islearner(m.is_learner);
}

template <typename Response>
void FillMembers(const NodeInfo& node, Response* response) {
  FillHeader(node, response->mutable_header());
  for (const NodeInfo::Member& m : node.members())
    FillMember(m, response->add_members());
}

bool ValidUrl(const std::string& url) {
  std::string rest;
  for (const char* scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  }
  if (rest.empty() || rest.find('/') != std::string::npos) return false;
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return false;
  for (size_t i = colon + 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  return true;
}

// Proposes `request`; on success fills the response from the member table
// (after `fill`), otherwise finishes with etcd's error.
template <typename Response, typename Fill>
grpc::ServerUnaryReactor* Change(grpc::CallbackServerContext* ctx, const NodeInfo* node,
                                 MembershipBackend* backend, const cairnpb::RaftRequest& request,
                                 Response* response, Fill fill) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  backend->ChangeMembers(request, [=](Status s) {
    if (s.ok()) {
      FillMembers(*node, response);
      fill();
    }
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

}  // namespace

bool ValidPeerUrls(const google::protobuf::RepeatedPtrField<std::string>& urls) {
  if (urls.empty()) return false;
  for (const std::string& u : urls) {
    if (!ValidUrl(u)) return false;
  }
  return true;
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::MemberListRequest*,
                                                     etcdserverpb::MemberListResponse* response) {
  FillMembers(*node_, response);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::MemberAddRequest* request,
                                                    etcdserverpb::MemberAddResponse* response) {
  if (!ValidPeerUrls(request->peerurls())) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(EtcdStatus(EtcdError::kMemberBadUrls)));
    return reactor;
  }
  std::vector<std::string> urls(request->peerurls().begin(), request->peerurls().end());
  cairnpb::RaftRequest req;
  cairnpb::MembershipChange* change = req.mutable_membership();
  change->set_kind(request->islearner() ? cairnpb::MembershipChange::ADD_LEARNER
                                        : cairnpb::MembershipChange::ADD_VOTER);
  change->mutable_member()->set_id(backend_->NewMemberId(urls));
  *change->mutable_member()->mutable_peer_urls() = request->peerurls();
  change->mutable_member()->set_is_learner(request->islearner());
  etcdserverpb::Member added;
  added.set_id(change->member().id());
  *added.mutable_peerurls() = request->peerurls();
  added.set_islearner(request->islearner());
  return Change(ctx, node_, backend_, req, response,
                [response, added] { *response->mutable_member() = added; });
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(
    grpc::CallbackServerContext* ctx, const etcdserverpb::MemberRemoveRequest* request,
    etcdserverpb::MemberRemoveResponse* response) {
  cairnpb::RaftRequest req;
  req.mutable_membership()->set_kind(cairnpb::MembershipChange::REMOVE);
  req.mutable_membership()->mutable_member()->set_id(request->id());
  return Change(ctx, node_, backend_, req, response, [] {});
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(
    grpc::CallbackServerContext* ctx, const etcdserverpb::MemberUpdateRequest* request,
    etcdserverpb::MemberUpdateResponse* response) {
  if (!ValidPeerUrls(request->peerurls())) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(EtcdStatus(EtcdError::kMemberBadUrls)));
    return reactor;
  }
  cairnpb::RaftRequest req;
  req.mutable_member_peer_update()->set_id(request->id());
  *req.mutable_member_peer_update()->mutable_peer_urls() = request->peerurls();
  return Change(ctx, node_, backend_, req, response, [] {});
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(
    grpc::CallbackServerContext* ctx, const etcdserverpb::MemberPromoteRequest* request,
    etcdserverpb::MemberPromoteResponse* response) {
  cairnpb::RaftRequest req;
  req.mutable_membership()->set_kind(cairnpb::MembershipChange::PROMOTE);
  req.mutable_membership()->mutable_member()->set_id(request->id());
  return Change(ctx, node_, backend_, req, response, [] {});
}

}  // namespace cairn::api
