// RaftPeer.Members: how a member joining an existing cluster learns the
// cluster id, its own id and its peers' addresses (etcd fetches the same
// from a peer's /members endpoint).
#include "cluster/grpc_transport_members.h"

#include "cluster/grpc_transport_service.h"

namespace cairn::cluster {

void PeerService::SetMembersHandler(MembersHandler handler) {
  auto h = handler ? std::make_shared<const MembersHandler>(std::move(handler)) : nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  members_handler_ = std::move(h);
}

void PeerService::SetRemovedCheck(RemovedCheck check) {
  auto c = check ? std::make_shared<const RemovedCheck>(std::move(check)) : nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  removed_check_ = std::move(c);
}

bool PeerService::IsRemoved(raft::NodeId node) const {
  std::shared_ptr<const RemovedCheck> check;
  {
    std::lock_guard<std::mutex> lock(mu_);
    check = removed_check_;
  }
  return check != nullptr && (*check)(node);
}

grpc::ServerUnaryReactor* PeerService::Members(grpc::CallbackServerContext* context,
                                               const cairnpb::MembersRequest*,
                                               cairnpb::MembersResponse* response) {
  std::shared_ptr<const MembersHandler> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handler = members_handler_;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (handler == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready"));
    return reactor;
  }
  Result<cairnpb::MembersResponse> r = (*handler)();
  if (!r.ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, r.status().message()));
    return reactor;
  }
  *response = std::move(*r);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

Result<cairnpb::MembersResponse> FetchMembers(const std::string& address,
                                              std::chrono::milliseconds timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = cairnpb::RaftPeer::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  cairnpb::MembersRequest request;
  cairnpb::MembersResponse response;
  grpc::Status s = stub->Members(&context, request, &response);
  if (!s.ok()) {
    return Status(Code::kUnavailable, "members from " + address + ": " + s.error_message());
  }
  return response;
}

}  // namespace cairn::cluster
