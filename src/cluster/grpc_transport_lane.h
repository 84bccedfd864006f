#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/raft_transport.grpc.pb.h"
#include "cluster/grpc_transport_backoff.h"
#include "consensus/raft/types.h"

// The sending half of GrpcTransport for one peer and one kind of traffic:
// a bounded queue feeding one long-lived RaftPeer.Send client stream.
// Internal to grpc_transport.cc; the design is described in grpc_transport.h.
namespace cairn::cluster::internal {

// Asynchronous work still running (streams, forwarded calls): the
// transport's destructor waits until there is none, so no callback outlives
// it.
class Outstanding {
 public:
  void Add();
  void Done();
  void WaitForNone();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_ = 0;
};

// Shared by every lane of a transport; read by GrpcTransport::stats().
struct LaneCounters {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> batches_sent{0};
  std::atomic<uint64_t> dropped_queue_full{0};
  std::atomic<uint64_t> dropped_unreachable{0};
  std::atomic<uint64_t> dropped_failed_write{0};
  std::atomic<uint64_t> streams_started{0};
};

struct LaneOptions {
  std::string name;  // for logs: "peer 2 (control)"
  uint64_t cluster_id = 0;
  raft::NodeId from = raft::kNoNode;
  size_t max_queued_messages = 0;
  size_t max_queued_bytes = 0;
  size_t max_batch_bytes = 0;
  BackoffOptions backoff;
  uint64_t seed = 1;
  // Bytes of batches written to this peer, shared by its lanes (metrics).
  std::shared_ptr<std::atomic<uint64_t>> sent_bytes;
  // The peer refused this node as removed from the cluster (kRemovedMessage).
  std::function<void()> on_removed;
};

// Rules that make the lane safe without holding its mutex across gRPC calls
// (gRPC may run work on the calling thread, and a reaction blocked on our
// mutex must never be what the caller waits for):
//   - `writing_` is owned by exactly one thread at a time, which alone may
//     start a write (or the call itself) on the current stream;
//   - the stream carries a hold from its start, and the hold is released
//     only by whoever detaches the stream while no write is in flight, so the
//     reactor exists for every operation started on it;
//   - the reactor is shared-owned, so TryCancel on a stream that already
//     finished touches a live (if finished) ClientContext.
class Lane : public std::enable_shared_from_this<Lane> {
 public:
  Lane(LaneOptions options, std::shared_ptr<grpc::Channel> channel,
       std::shared_ptr<Outstanding> outstanding, std::shared_ptr<LaneCounters> counters);

  // Queues the messages for the peer, dropping (and counting) what does not
  // fit, or everything while the peer is in back-off. If no write is in
  // flight, starts one on the calling thread: the gRPC call is asynchronous,
  // so this never waits for the network.
  void Enqueue(uint64_t group, std::vector<raft::Message> messages);
  // Ends the stream; later messages are dropped. Idempotent.
  void Shutdown();

  cairnpb::RaftPeer::Stub& stub() { return *stub_; }
  const std::shared_ptr<Outstanding>& outstanding() const { return outstanding_; }

 private:
  class Stream;
  // A write to start outside the mutex.
  struct Work {
    std::shared_ptr<Stream> stream;
    bool start_call = false;
    uint64_t group = 0;
    std::vector<raft::Message> messages;
    size_t bytes = 0;
  };

  Work TakeWorkLocked();
  void Do(Work work);
  std::shared_ptr<Stream> DetachLocked();
  void OnAccepted(Stream* s, bool ok);
  void OnWriteDone(Stream* s, bool ok);
  void OnStreamDone(Stream* s, const grpc::Status& status);

  const LaneOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<cairnpb::RaftPeer::Stub> stub_;
  const std::shared_ptr<Outstanding> outstanding_;
  const std::shared_ptr<LaneCounters> counters_;

  std::mutex mu_;
  std::map<uint64_t, std::deque<raft::Message>> queues_;  // by group
  uint64_t last_group_ = 0;                               // round robin over groups
  size_t queued_messages_ = 0;
  size_t queued_bytes_ = 0;
  std::shared_ptr<Stream> stream_;
  bool writing_ = false;
  bool detach_after_write_ = false;
  Backoff backoff_;
  bool backing_off_ = false;
  std::chrono::steady_clock::time_point retry_at_;
  bool reported_down_ = false;  // logged once per outage, not per attempt
  bool refused_ = false;        // the last stream ended in a refusal (wrong cluster)
  bool shutdown_ = false;
};

}  // namespace cairn::cluster::internal
