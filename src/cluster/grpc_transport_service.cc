#include "cluster/grpc_transport_service.h"

#include <string>
#include <utility>

#include "base/logging.h"
#include "cluster/raft_codec.h"

namespace cairn::cluster {

// One incoming Send stream; deletes itself when gRPC is done with it.
class PeerService::ReceiveStream final : public grpc::ServerReadReactor<cairnpb::MessageBatch> {
 public:
  ReceiveStream(PeerService* service, std::string peer)
      : service_(service), peer_(std::move(peer)) {
    // Headers go out at once: the sender learns the stream was accepted
    // (that is what resets its back-off) without waiting for a write.
    StartSendInitialMetadata();
    StartRead(&batch_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the sender closed or went away, or the server is stopping
      Finish(grpc::Status::OK);
      return;
    }
    if (grpc::Status s = service_->CheckCluster(batch_.cluster_id()); !s.ok()) {
      ++service_->refused_streams_;
      CAIRN_LOG(WARN) << "peer " << peer_ << " (node " << batch_.from_node()
                      << "): " << s.error_message();
      Finish(s);
      return;
    }
    if (service_->IsRemoved(batch_.from_node())) {
      ++service_->refused_streams_;
      Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, kRemovedMessage));
      return;
    }
    service_->Deliver(batch_, peer_);
    batch_.Clear();
    StartRead(&batch_);
  }

  void OnDone() override { delete this; }

 private:
  PeerService* const service_;
  const std::string peer_;
  cairnpb::MessageBatch batch_;
};

// One incoming Forward. The answer and a cancellation race; whichever comes
// first finishes the call, under the shared state's mutex, and the other
// does nothing. The state outlives the reactor: the handler's completion
// may run long after the call is gone.
class PeerService::ForwardCall final : public grpc::ServerUnaryReactor {
 public:
  explicit ForwardCall(cairnpb::ForwardResponse* response) : state_(std::make_shared<State>()) {
    state_->call = this;
    state_->response = response;
  }

  ForwardDone Completion() {
    return [state = state_](Result<kv::ApplyResult> result) {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->finished) return;
      state->finished = true;
      EncodeForwardResponse(std::move(result), state->response);
      state->call->Finish(grpc::Status::OK);
    };
  }

  void OnCancel() override {
    std::shared_ptr<State> state = state_;  // kept even if OnDone ran at once
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->finished) return;
    state->finished = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "forwarded request cancelled"));
  }

  void OnDone() override { delete this; }

 private:
  struct State {
    std::mutex mu;
    bool finished = false;
    ForwardCall* call = nullptr;
    cairnpb::ForwardResponse* response = nullptr;
  };
  std::shared_ptr<State> state_;
};

// One incoming ForwardBatch: one answer slot per request. The call ends
// when the last slot is filled, or at once on cancellation (later answers
// are then ignored). As with ForwardCall, the state outlives the reactor.
class PeerService::ForwardBatchCall final : public grpc::ServerUnaryReactor {
 public:
  ForwardBatchCall(cairnpb::ForwardBatchResponse* response, int n)
      : state_(std::make_shared<State>()) {
    state_->call = this;
    state_->response = response;
    state_->remaining = n;
    for (int i = 0; i < n; ++i)
      response->add_responses();
  }

  ForwardDone Completion(int i) {
    return [state = state_, i](Result<kv::ApplyResult> result) {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->finished) return;
      EncodeForwardResponse(std::move(result), state->response->mutable_responses(i));
      if (--state->remaining > 0) return;
      state->finished = true;
      state->call->Finish(grpc::Status::OK);
    };
  }

  void OnCancel() override {
    std::shared_ptr<State> state = state_;  // kept even if OnDone ran at once
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->finished) return;
    state->finished = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "forwarded requests cancelled"));
  }

  void OnDone() override { delete this; }

 private:
  struct State {
    std::mutex mu;
    bool finished = false;
    int remaining = 0;
    ForwardBatchCall* call = nullptr;
    cairnpb::ForwardBatchResponse* response = nullptr;
  };
  std::shared_ptr<State> state_;
};

PeerService::PeerService(uint64_t cluster_id, raft::NodeId node_id)
    : cluster_id_(cluster_id), node_id_(node_id) {}

void PeerService::SetReceiver(Receiver receiver) {
  auto r = receiver ? std::make_shared<const Receiver>(std::move(receiver)) : nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  receiver_ = std::move(r);
}

void PeerService::SetForwardHandler(ForwardHandler handler) {
  auto h = handler ? std::make_shared<const ForwardHandler>(std::move(handler)) : nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  forward_handler_ = std::move(h);
}

void PeerService::ConfigureServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Peers ping every GrpcTransportOptions::keepalive_time (10 s by default);
  // accept anything not faster than once a second.
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // And ping back, so that streams from a peer that vanished are let go.
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

grpc::Status PeerService::CheckCluster(uint64_t cluster_id) const {
  if (cluster_id == cluster_id_) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "cluster id mismatch: got " + std::to_string(cluster_id) + ", this is " +
                          std::to_string(cluster_id_));
}

void PeerService::Deliver(cairnpb::MessageBatch& batch, const std::string& peer) {
  ++batches_;
  {
    std::lock_guard<std::mutex> lock(received_mu_);
    auto it = received_bytes_.find(batch.from_node());
    if (it != received_bytes_.end()) {
      it->second += batch.ByteSizeLong();
    } else if (received_bytes_.size() < kMaxSenders) {
      received_bytes_[batch.from_node()] = batch.ByteSizeLong();
    }
  }
  std::vector<raft::Message> messages;
  messages.reserve(batch.messages_size());
  size_t malformed = 0;
  size_t misaddressed = 0;
  Status first_error;
  for (cairnpb::RaftMessage& pm : *batch.mutable_messages()) {
    raft::Message m;
    if (Status s = FromProto(std::move(pm), &m); !s.ok()) {
      if (malformed++ == 0) first_error = s;
      continue;
    }
    if (node_id_ != raft::kNoNode && m.to != node_id_) {
      ++misaddressed;
      continue;
    }
    messages.push_back(std::move(m));
  }
  // One line per batch, however many messages in it are bad.
  if (malformed > 0) {
    malformed_ += malformed;
    CAIRN_LOG(WARN) << "peer " << peer << " (node " << batch.from_node() << ") group "
                    << batch.group_id() << ": dropped " << malformed
                    << " malformed message(s): " << first_error.message();
  }
  if (misaddressed > 0) {
    misaddressed_ += misaddressed;
    CAIRN_LOG(WARN) << "peer " << peer << " (node " << batch.from_node() << ") group "
                    << batch.group_id() << ": dropped " << misaddressed
                    << " message(s) addressed to another node";
  }
  if (messages.empty()) return;
  std::shared_ptr<const Receiver> receiver;
  {
    std::lock_guard<std::mutex> lock(mu_);
    receiver = receiver_;
  }
  if (receiver == nullptr) {
    undelivered_ += messages.size();
    return;
  }
  messages_ += messages.size();
  (*receiver)(batch.group_id(), std::move(messages));
}

grpc::ServerReadReactor<cairnpb::MessageBatch>* PeerService::Send(
    grpc::CallbackServerContext* context, cairnpb::SendResponse* /*response*/) {
  return new ReceiveStream(this, context->peer());
}

std::shared_ptr<const PeerService::ForwardHandler> PeerService::ForwardHandlerFor(
    grpc::CallbackServerContext* context, uint64_t cluster_id, grpc::Status* refused) {
  if (grpc::Status s = CheckCluster(cluster_id); !s.ok()) {
    ++refused_forwards_;
    CAIRN_LOG(WARN) << "forward from " << context->peer() << ": " << s.error_message();
    *refused = s;
    return nullptr;
  }
  std::shared_ptr<const ForwardHandler> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handler = forward_handler_;
  }
  if (handler == nullptr) {
    *refused = grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready for forwarded requests");
  }
  return handler;
}

grpc::ServerUnaryReactor* PeerService::Forward(grpc::CallbackServerContext* context,
                                               const cairnpb::ForwardRequest* request,
                                               cairnpb::ForwardResponse* response) {
  grpc::Status refused;
  std::shared_ptr<const ForwardHandler> handler =
      ForwardHandlerFor(context, request->cluster_id(), &refused);
  if (handler == nullptr) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(refused);
    return reactor;
  }
  ++forwards_;
  auto* call = new ForwardCall(response);
  ForwardDone done = call->Completion();
  // The handler may answer before returning (a refusal): the reactor is
  // already complete then, which gRPC allows.
  (*handler)(request->group_id(), request->request(), std::move(done));
  return call;
}

grpc::ServerUnaryReactor* PeerService::ForwardBatch(grpc::CallbackServerContext* context,
                                                    const cairnpb::ForwardBatchRequest* request,
                                                    cairnpb::ForwardBatchResponse* response) {
  grpc::Status refused;
  std::shared_ptr<const ForwardHandler> handler =
      ForwardHandlerFor(context, request->cluster_id(), &refused);
  const int n = request->requests_size();
  if (handler == nullptr || n == 0) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(refused);
    return reactor;
  }
  ++forward_batches_;
  forwards_ += n;
  auto* call = new ForwardBatchCall(response, n);
  // Completions may run before the loop ends (refusals), even the last one.
  for (int i = 0; i < n; ++i)
    (*handler)(request->group_id(), request->requests(i), call->Completion(i));
  return call;
}

std::map<uint64_t, uint64_t> PeerService::ReceivedBytesByPeer() const {
  std::lock_guard<std::mutex> lock(received_mu_);
  return received_bytes_;
}

PeerService::Stats PeerService::stats() const {
  Stats s;
  s.batches = batches_;
  s.messages = messages_;
  s.malformed = malformed_;
  s.misaddressed = misaddressed_;
  s.undelivered = undelivered_;
  s.refused_streams = refused_streams_;
  s.refused_forwards = refused_forwards_;
  s.forwards = forwards_;
  s.forward_batches = forward_batches_;
  return s;
}

}  // namespace cairn::cluster
