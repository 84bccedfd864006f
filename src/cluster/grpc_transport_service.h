#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "cairn/raft_transport.grpc.pb.h"
#include "cluster/grpc_transport_forward.h"
#include "consensus/raft/types.h"

namespace cairn::cluster {

// How a member refuses a node removed from the cluster (see
// PeerService::SetRemovedCheck and GrpcTransportOptions::on_removed).
inline constexpr char kRemovedMessage[] = "cairn: the sending member was removed from the cluster";

// The receiving side of the peer transport: the RaftPeer service.
//
// Send streams: every MessageBatch is checked for the cluster id (a wrong one
// ends the stream with FAILED_PRECONDITION before any message reaches a
// group), decoded with raft_codec (a malformed message is logged and
// dropped, the rest of the batch still goes), and handed to the receiver as
// (group, messages). One read is in flight per stream, so a receiver that
// falls behind slows the sender through gRPC's flow control.
//
// Forward: checked for the cluster id likewise, then given to the forward
// handler with a completion; the call is answered when the completion runs,
// or cancelled (and the completion then ignored) if the caller gives up or
// the server shuts down first. ForwardBatch: each request of the batch goes
// to the handler alike; the call is answered when the last completion runs.
//
// Callbacks run on gRPC's callback threads and must not block; the
// receiver and handler may be set (or replaced) at any time. Calls arriving
// before they are set are dropped, or answered UNAVAILABLE. The service must
// outlive the grpc::Server it is registered with.
class PeerService final : public cairnpb::RaftPeer::CallbackService {
 public:
  using Receiver = std::function<void(uint64_t group, std::vector<raft::Message> messages)>;
  // `request` is valid only during the call; `done` may run on any thread,
  // at most once is honoured.
  using ForwardHandler =
      std::function<void(uint64_t group, const cairnpb::RaftRequest& request, ForwardDone done)>;

  // Largest peer message a server accepts; above GrpcTransportOptions's batch
  // bound and Raft's append and chunk sizes, with room for one big entry.
  static constexpr int kMaxMessageBytes = 64 << 20;

  // `node_id`: messages addressed to another node are dropped (a peer with a
  // stale address book); kNoNode accepts any.
  PeerService(uint64_t cluster_id, raft::NodeId node_id);

  void SetReceiver(Receiver receiver);
  void SetForwardHandler(ForwardHandler handler);
  // Answers RaftPeer.Members (for members joining with
  // --initial-cluster-state existing, which do not know the cluster id yet,
  // so it is not checked). Unset: UNAVAILABLE.
  using MembersHandler = std::function<Result<cairnpb::MembersResponse>()>;
  void SetMembersHandler(MembersHandler handler);
  // Send streams from a node this says was removed from the cluster end
  // with FAILED_PRECONDITION kRemovedMessage, which tells the sender's
  // transport to report its own removal (etcd answers such a peer "410
  // Gone"): a removed member the leader no longer talks to learns it so.
  using RemovedCheck = std::function<bool(raft::NodeId node)>;
  void SetRemovedCheck(RemovedCheck check);

  // Settings a server carrying this service needs: the message size above,
  // and permission for the keepalive pings GrpcTransport sends on streams
  // where the server itself never sends data (gRPC would otherwise answer
  // them with GOAWAY "too_many_pings").
  static void ConfigureServer(grpc::ServerBuilder* builder);

  struct Stats {
    uint64_t batches = 0;
    uint64_t messages = 0;  // delivered to the receiver
    uint64_t malformed = 0;
    uint64_t misaddressed = 0;
    uint64_t undelivered = 0;       // no receiver set yet
    uint64_t refused_streams = 0;   // wrong cluster id
    uint64_t refused_forwards = 0;  // wrong cluster id
    uint64_t forwards = 0;          // forwarded writes, single or in batches
    uint64_t forward_batches = 0;   // ForwardBatch calls
  };
  Stats stats() const;
  // Bytes of Raft batches received from each node (payload bytes).
  std::map<uint64_t, uint64_t> ReceivedBytesByPeer() const;

  grpc::ServerReadReactor<cairnpb::MessageBatch>* Send(grpc::CallbackServerContext* context,
                                                       cairnpb::SendResponse* response) override;
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* context,
                                    const cairnpb::ForwardRequest* request,
                                    cairnpb::ForwardResponse* response) override;
  grpc::ServerUnaryReactor* ForwardBatch(grpc::CallbackServerContext* context,
                                         const cairnpb::ForwardBatchRequest* request,
                                         cairnpb::ForwardBatchResponse* response) override;
  grpc::ServerUnaryReactor* Members(grpc::CallbackServerContext* context,
                                    const cairnpb::MembersRequest* request,
                                    cairnpb::MembersResponse* response) override;

 private:
  class ReceiveStream;
  class ForwardCall;
  class ForwardBatchCall;
  // The forward handler, or the reason a forwarded call is refused.
  std::shared_ptr<const ForwardHandler> ForwardHandlerFor(grpc::CallbackServerContext* context,
                                                          uint64_t cluster_id,
                                                          grpc::Status* refused);

  // Decodes and delivers one batch whose cluster id was checked.
  void Deliver(cairnpb::MessageBatch& batch, const std::string& peer);
  grpc::Status CheckCluster(uint64_t cluster_id) const;
  bool IsRemoved(raft::NodeId node) const;

  const uint64_t cluster_id_;
  const raft::NodeId node_id_;

  mutable std::mutex mu_;
  std::shared_ptr<const Receiver> receiver_;
  std::shared_ptr<const ForwardHandler> forward_handler_;
  std::shared_ptr<const MembersHandler> members_handler_;
  std::shared_ptr<const RemovedCheck> removed_check_;

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> misaddressed_{0};
  std::atomic<uint64_t> undelivered_{0};
  std::atomic<uint64_t> refused_streams_{0};
  std::atomic<uint64_t> refused_forwards_{0};
  std::atomic<uint64_t> forwards_{0};
  std::atomic<uint64_t> forward_batches_{0};
  mutable std::mutex received_mu_;
  // By sender; bounded (kMaxSenders) since the sender id is the peer's word.
  std::map<uint64_t, uint64_t> received_bytes_;
  static constexpr size_t kMaxSenders = 64;
};

}  // namespace cairn::cluster
