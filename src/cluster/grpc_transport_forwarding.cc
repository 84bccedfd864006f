// GrpcTransport's forwarding of writes from a follower to its leader:
// ForwardBatch calls, at most kForwardBatchesInFlight per (leader, group),
// and single Forward calls for a leader that does not know ForwardBatch.
#include "cluster/grpc_transport.h"
#include "cluster/grpc_transport_lane.h"

namespace cairn::cluster {
namespace {

std::chrono::system_clock::time_point ToSystemClock(std::chrono::steady_clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             t - std::chrono::steady_clock::now());
}

Status CallFailed(raft::NodeId node, const grpc::Status& status) {
  return Status(CodeFromWire(status.error_code()),
                "forward to node " + std::to_string(node) + ": " + status.error_message());
}

}  // namespace

struct GrpcTransport::ForwardCall {
  raft::NodeId node = raft::kNoNode;
  grpc::ClientContext context;
  cairnpb::ForwardRequest request;
  cairnpb::ForwardResponse response;
  ForwardDone done;
};

struct GrpcTransport::ForwardBatchCall {
  ForwardKey key;
  grpc::ClientContext context;
  cairnpb::ForwardBatchRequest request;
  cairnpb::ForwardBatchResponse response;
  std::vector<WaitingForward> writes;  // their requests are moved into `request`
};

void GrpcTransport::Forward(raft::NodeId node, uint64_t group, const cairnpb::RaftRequest& request,
                            std::chrono::steady_clock::time_point deadline, ForwardDone done) {
  const ForwardKey key{node, group};
  std::vector<WaitingForward> batch;
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    stopping = stopping_;
    if (!stopping) {
      ForwardQueue& q = forward_queues_[key];
      q.waiting.push_back(WaitingForward{request, deadline, std::move(done)});
      if (q.in_flight < kForwardBatchesInFlight) {
        batch = TakeBatch(q);
        q.in_flight++;
      }
    }
  }
  if (stopping) {
    done(Status(Code::kUnavailable, "forward: transport stopped"));
    return;
  }
  if (!batch.empty()) StartForwardBatch(key, std::move(batch));
}

std::vector<GrpcTransport::WaitingForward> GrpcTransport::TakeBatch(ForwardQueue& q) {
  std::vector<WaitingForward> batch;
  while (!q.waiting.empty() && batch.size() < kMaxForwardBatch) {
    batch.push_back(std::move(q.waiting.front()));
    q.waiting.pop_front();
  }
  return batch;
}

void GrpcTransport::StartForwardBatch(ForwardKey key, std::vector<WaitingForward> batch) {
  std::shared_ptr<internal::Lane> lane;
  {
    std::shared_lock<std::shared_mutex> lock(peers_mu_);
    auto it = peers_.find(key.first);
    if (it != peers_.end()) lane = it->second->bulk;
  }
  auto call = std::make_shared<ForwardBatchCall>();
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    stopping = stopping_;
    if (!stopping && lane != nullptr) {
      forward_batches_.insert(call);
      outstanding_->Add();
    }
  }
  if (stopping || lane == nullptr) {
    Status s = stopping ? Status(Code::kUnavailable, "forward: transport stopped")
                        : Status(Code::kUnavailable,
                                 "forward: no address for node " + std::to_string(key.first));
    for (WaitingForward& w : batch)
      w.done(s);
    ForwardBatchEnded(key);
    return;
  }
  call->key = key;
  call->request.set_cluster_id(options_.cluster_id);
  call->request.set_group_id(key.second);
  // The call lasts as long as the most patient write allows; each write's
  // caller still gets an answer, at worst when the call gives up.
  auto deadline = batch.front().deadline;
  for (WaitingForward& w : batch) {
    deadline = std::max(deadline, w.deadline);
    *call->request.add_requests() = std::move(w.request);
  }
  call->writes = std::move(batch);
  call->context.set_deadline(ToSystemClock(deadline));
  lane->stub().async()->ForwardBatch(
      &call->context, &call->request, &call->response,
      [this, call](grpc::Status status) { FinishForwardBatch(call, status); });
}

void GrpcTransport::FinishForwardBatch(const std::shared_ptr<ForwardBatchCall>& call,
                                       const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    forward_batches_.erase(call);
  }
  const raft::NodeId node = call->key.first;
  std::vector<WaitingForward>& writes = call->writes;
  if (status.ok() && call->response.responses_size() == static_cast<int>(writes.size())) {
    for (size_t i = 0; i < writes.size(); ++i) {
      writes[i].done(DecodeForwardResponse(std::move(*call->response.mutable_responses(i))));
    }
  } else if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    // A leader of an older version: one Forward per write.
    for (size_t i = 0; i < writes.size(); ++i) {
      writes[i].request = std::move(*call->request.mutable_requests(static_cast<int>(i)));
      ForwardOne(node, call->key.second, std::move(writes[i]));
    }
  } else {
    const Status failed = status.ok()
                              ? Status(Code::kInternal, "forward to node " + std::to_string(node) +
                                                            ": answers do not match the batch")
                              : CallFailed(node, status);
    for (WaitingForward& w : writes)
      w.done(failed);
  }
  // Release what the callbacks captured while the transport surely exists.
  writes.clear();
  ForwardBatchEnded(call->key);
  outstanding_->Done();
}

void GrpcTransport::ForwardBatchEnded(ForwardKey key) {
  std::vector<WaitingForward> next;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    auto it = forward_queues_.find(key);
    if (it == forward_queues_.end()) return;
    ForwardQueue& q = it->second;
    q.in_flight--;
    if (!stopping_ && !q.waiting.empty()) {
      next = TakeBatch(q);
      q.in_flight++;
    } else if (q.in_flight == 0 && q.waiting.empty()) {
      forward_queues_.erase(it);
    }
  }
  if (!next.empty()) StartForwardBatch(key, std::move(next));
}

void GrpcTransport::ForwardOne(raft::NodeId node, uint64_t group, WaitingForward w) {
  std::shared_ptr<internal::Lane> lane;
  {
    std::shared_lock<std::shared_mutex> lock(peers_mu_);
    auto it = peers_.find(node);
    if (it != peers_.end()) lane = it->second->bulk;
  }
  if (lane == nullptr) {
    w.done(Status(Code::kUnavailable, "forward: no address for node " + std::to_string(node)));
    return;
  }
  auto call = std::make_shared<ForwardCall>();
  call->node = node;
  call->request.set_cluster_id(options_.cluster_id);
  call->request.set_group_id(group);
  *call->request.mutable_request() = std::move(w.request);
  call->context.set_deadline(ToSystemClock(w.deadline));
  call->done = std::move(w.done);
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    stopping = stopping_;
    if (!stopping) {
      forwards_.insert(call);
      outstanding_->Add();
    }
  }
  if (stopping) {
    call->done(Status(Code::kUnavailable, "forward: transport stopped"));
    return;
  }
  lane->stub().async()->Forward(&call->context, &call->request, &call->response,
                                [this, call](grpc::Status status) { FinishForward(call, status); });
}

void GrpcTransport::FinishForward(const std::shared_ptr<ForwardCall>& call,
                                  const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    forwards_.erase(call);
  }
  if (status.ok()) {
    call->done(DecodeForwardResponse(std::move(call->response)));
  } else {
    call->done(CallFailed(call->node, status));
  }
  // Release what the callback captured while the transport surely exists.
  call->done = nullptr;
  outstanding_->Done();
}

void GrpcTransport::CancelForwards() {
  std::set<std::shared_ptr<ForwardCall>> forwards;
  std::set<std::shared_ptr<ForwardBatchCall>> batches;
  std::vector<WaitingForward> waiting;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    stopping_ = true;
    forwards = forwards_;
    batches = forward_batches_;
    for (auto& [key, q] : forward_queues_) {
      for (WaitingForward& w : q.waiting)
        waiting.push_back(std::move(w));
      q.waiting.clear();
    }
  }
  for (WaitingForward& w : waiting)
    w.done(Status(Code::kUnavailable, "forward: transport stopped"));
  for (const std::shared_ptr<ForwardCall>& call : forwards)
    call->context.TryCancel();
  for (const std::shared_ptr<ForwardBatchCall>& call : batches)
    call->context.TryCancel();
}

}  // namespace cairn::cluster
