#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "cairn/raft_request.pb.h"
#include "cluster/grpc_transport_backoff.h"
#include "cluster/grpc_transport_forward.h"
#include "cluster/replica.h"

namespace grpc {
class Status;
}

namespace cairn::cluster {

namespace internal {
class Lane;
class Outstanding;
struct LaneCounters;
}  // namespace internal

struct GrpcTransportOptions {
  raft::NodeId node_id = raft::kNoNode;
  uint64_t cluster_id = 0;
  // Peer node id -> "host:port" of its peer listener. This node's own entry,
  // if present, is ignored.
  std::map<raft::NodeId, std::string> peers;

  // Per peer and lane. A full queue drops (Raft retries): the consensus loop
  // never waits for a slow peer, and memory stays bounded.
  size_t max_queued_messages = 4096;
  size_t max_queued_bytes = 64 << 20;
  // Bytes of messages in one MessageBatch (a single larger message still
  // goes, alone). Must stay below what the peer server accepts
  // (PeerService::ConfigureServer).
  size_t max_batch_bytes = 4 << 20;
  BackoffOptions backoff;
  // gRPC's own reconnect back-off (initial and cap), for tests; 0 follows
  // `backoff`. Lanes reset it before each new stream, so it never holds a
  // reconnect back once our back-off says to try.
  std::chrono::milliseconds grpc_reconnect_backoff{0};
  // HTTP/2 pings on idle connections, so that a peer that vanished without a
  // reset (power loss, partition) is noticed in seconds, not at TCP's
  // retransmission timeout.
  std::chrono::milliseconds keepalive_time{10000};
  std::chrono::milliseconds keepalive_timeout{5000};
  // Called (on a gRPC thread; must not block) when a peer refuses this node
  // as removed from the cluster.
  std::function<void()> on_removed;
};

// cluster::Transport over gRPC: RaftPeer.Send streams to every peer, and
// RaftPeer.Forward for writes a follower hands to its leader.
//
// Per peer there are two lanes, each its own channel (so its own TCP
// connection) with one long-lived Send stream:
//   control: votes, heartbeats, every response, TimeoutNow, ReadIndex —
//            small and latency-critical;
//   bulk:    appends (kApp, empty ones too, to keep them in order with the
//            others) and snapshot chunks; forwarded writes use this channel.
// A heartbeat therefore never queues behind a megabyte of entries, in our
// queue, in gRPC's flow control, or in a socket buffer.
//
// Threads: none of its own. Built on gRPC's callback API
// (grpc::ClientWriteReactor): Send() appends to the lane's bounded queue
// and, when no write is in flight, starts one on the caller's thread (an
// asynchronous gRPC call: it never waits for the network). Each completed
// write starts the next one from gRPC's callback threads, carrying
// everything queued meanwhile for one group in one MessageBatch, so batches
// grow by themselves under load. Reconnection needs no timer either: after a
// stream fails the lane drops messages for an exponential, capped, jittered
// back-off, and the first message after it opens a new stream. Nothing runs
// while a peer is down and nobody sends to it.
//
// All methods are thread-safe. The destructor cancels every stream and
// forwarded call and waits for their callbacks: nothing may call Send or
// Forward once it has started, and it must not run on a gRPC callback thread.
class GrpcTransport final : public Transport {
 public:
  explicit GrpcTransport(GrpcTransportOptions options);
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // Never blocks. Messages to unknown nodes are dropped (and counted).
  void Send(uint64_t group, std::vector<raft::Message> messages) override;

  // Membership changes. Changing a peer's address replaces its streams;
  // setting the same address again changes nothing.
  void SetPeer(raft::NodeId id, std::string address);
  void RemovePeer(raft::NodeId id);

  // Proposes `request` on `node` (the group's leader) and calls `done` with
  // its answer; see ForwardDone. `done` runs on a gRPC thread, or on the
  // caller's when the call cannot start (unknown node: kUnavailable).
  // Writes to one leader travel in ForwardBatch calls, at most
  // kForwardBatchesInFlight at a time: those that arrive meanwhile wait and
  // leave together in the next one (one call for many writes under load,
  // no waiting when idle).
  void Forward(raft::NodeId node, uint64_t group, const cairnpb::RaftRequest& request,
               std::chrono::steady_clock::time_point deadline, ForwardDone done);
  static constexpr int kForwardBatchesInFlight = 2;
  static constexpr size_t kMaxForwardBatch = 256;

  struct Stats {
    uint64_t messages_sent = 0;  // handed to gRPC in a completed write
    uint64_t batches_sent = 0;
    uint64_t dropped_queue_full = 0;
    uint64_t dropped_unreachable = 0;  // peer in back-off, or queued when its stream failed
    uint64_t dropped_failed_write = 0;
    uint64_t dropped_unknown_peer = 0;
    uint64_t streams_started = 0;  // connection attempts, both lanes
  };
  Stats stats() const;
  // Bytes of Raft batches written to each current peer (payload bytes, not
  // the wire's framing).
  std::map<raft::NodeId, uint64_t> SentBytesByPeer() const;

 private:
  struct Peer {
    std::string address;
    std::shared_ptr<std::atomic<uint64_t>> sent_bytes = std::make_shared<std::atomic<uint64_t>>(0);
    std::shared_ptr<internal::Lane> control;
    std::shared_ptr<internal::Lane> bulk;
  };
  struct ForwardCall;
  struct ForwardBatchCall;
  struct WaitingForward {
    cairnpb::RaftRequest request;
    std::chrono::steady_clock::time_point deadline;
    ForwardDone done;
  };
  struct ForwardQueue {
    std::deque<WaitingForward> waiting;
    int in_flight = 0;
  };
  using ForwardKey = std::pair<raft::NodeId, uint64_t>;  // (leader, group)

  std::shared_ptr<Peer> MakePeer(raft::NodeId id, const std::string& address) const;
  static void ShutdownPeer(const std::shared_ptr<Peer>& peer);
  // One write in a Forward call: what a leader without ForwardBatch gets.
  void ForwardOne(raft::NodeId node, uint64_t group, WaitingForward w);
  void FinishForward(const std::shared_ptr<ForwardCall>& call, const grpc::Status& status);
  // Takes up to kMaxForwardBatch waiting writes (forwards_mu_ held).
  static std::vector<WaitingForward> TakeBatch(ForwardQueue& q);
  void StartForwardBatch(ForwardKey key, std::vector<WaitingForward> batch);
  void FinishForwardBatch(const std::shared_ptr<ForwardBatchCall>& call,
                          const grpc::Status& status);
  // A batch of `key` ended: starts the next one if writes are waiting.
  void ForwardBatchEnded(ForwardKey key);
  // For the destructor: refuses new forwards, cancels those in flight and
  // answers those still waiting.
  void CancelForwards();

  const GrpcTransportOptions options_;
  const std::shared_ptr<internal::Outstanding> outstanding_;
  const std::shared_ptr<internal::LaneCounters> counters_;
  std::atomic<uint64_t> dropped_unknown_peer_{0};

  mutable std::shared_mutex peers_mu_;
  std::map<raft::NodeId, std::shared_ptr<Peer>> peers_;

  std::mutex forwards_mu_;
  std::set<std::shared_ptr<ForwardCall>> forwards_;              // in flight, for cancellation
  std::set<std::shared_ptr<ForwardBatchCall>> forward_batches_;  // likewise
  std::map<ForwardKey, ForwardQueue> forward_queues_;
  bool stopping_ = false;  // forwards_mu_
};

}  // namespace cairn::cluster
