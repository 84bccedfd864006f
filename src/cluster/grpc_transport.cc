#include "cluster/grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "base/logging.h"
#include "cluster/grpc_transport_lane.h"

namespace cairn::cluster {

namespace {

// Large appends and snapshot chunks ride the bulk lane; everything else is
// small and must not wait behind them.
bool IsBulk(raft::MessageType type) {
  return type == raft::MessageType::kApp || type == raft::MessageType::kSnapshot;
}

std::shared_ptr<grpc::Channel> MakeChannel(const GrpcTransportOptions& o,
                                           const std::string& address) {
  grpc::ChannelArguments args;
  // Each channel gets its own subchannel, hence its own TCP connection: the
  // two lanes to one peer must not share a socket buffer.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // gRPC's own reconnect back-off (which fail-fast calls see as immediate
  // UNAVAILABLE) follows ours, instead of its default two-minute cap.
  const bool own = o.grpc_reconnect_backoff.count() > 0;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(own ? o.grpc_reconnect_backoff.count() : o.backoff.initial.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(own ? o.grpc_reconnect_backoff.count() : o.backoff.max.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(o.keepalive_time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(o.keepalive_timeout.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Forward answers carry etcd responses (prev_kv of a large delete).
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

GrpcTransport::GrpcTransport(GrpcTransportOptions options)
    : options_(std::move(options)),
      outstanding_(std::make_shared<internal::Outstanding>()),
      counters_(std::make_shared<internal::LaneCounters>()) {
  for (const auto& [id, address] : options_.peers) {
    if (id == options_.node_id) continue;
    peers_[id] = MakePeer(id, address);
  }
}

GrpcTransport::~GrpcTransport() {
  std::map<raft::NodeId, std::shared_ptr<Peer>> peers;
  {
    std::unique_lock<std::shared_mutex> lock(peers_mu_);
    peers.swap(peers_);
  }
  for (auto& [id, peer] : peers)
    ShutdownPeer(peer);
  CancelForwards();
  outstanding_->WaitForNone();
}

std::shared_ptr<GrpcTransport::Peer> GrpcTransport::MakePeer(raft::NodeId id,
                                                             const std::string& address) const {
  auto peer = std::make_shared<Peer>();
  peer->address = address;
  auto lane = [&](const char* kind, uint64_t index) {
    internal::LaneOptions o;
    o.name = "peer " + std::to_string(id) + " (" + kind + ", " + address + ")";
    o.cluster_id = options_.cluster_id;
    o.from = options_.node_id;
    o.max_queued_messages = options_.max_queued_messages;
    o.max_queued_bytes = options_.max_queued_bytes;
    o.max_batch_bytes = options_.max_batch_bytes;
    o.backoff = options_.backoff;
    o.on_removed = options_.on_removed;
    o.sent_bytes = peer->sent_bytes;
    // Distinct per (node, peer, lane), so that back-offs do not align.
    o.seed = options_.node_id * 0x9E3779B97F4A7C15ULL ^ id * 0xC2B2AE3D27D4EB4FULL ^ index;
    return std::make_shared<internal::Lane>(std::move(o), MakeChannel(options_, address),
                                            outstanding_, counters_);
  };
  peer->control = lane("control", 1);
  peer->bulk = lane("bulk", 2);
  return peer;
}

void GrpcTransport::ShutdownPeer(const std::shared_ptr<Peer>& peer) {
  peer->control->Shutdown();
  peer->bulk->Shutdown();
}

void GrpcTransport::Send(uint64_t group, std::vector<raft::Message> messages) {
  // Sorted into lanes under the shared lock; enqueued (which may start a
  // gRPC write) after it, so membership changes never wait on gRPC.
  std::map<internal::Lane*, std::pair<std::shared_ptr<internal::Lane>, std::vector<raft::Message>>>
      by_lane;
  {
    std::shared_lock<std::shared_mutex> lock(peers_mu_);
    for (raft::Message& m : messages) {
      auto it = peers_.find(m.to);
      if (it == peers_.end()) {
        ++dropped_unknown_peer_;
        continue;
      }
      const std::shared_ptr<internal::Lane>& lane =
          IsBulk(m.type) ? it->second->bulk : it->second->control;
      auto& entry = by_lane[lane.get()];
      if (entry.first == nullptr) entry.first = lane;
      entry.second.push_back(std::move(m));
    }
  }
  for (auto& [raw, entry] : by_lane)
    entry.first->Enqueue(group, std::move(entry.second));
}

void GrpcTransport::SetPeer(raft::NodeId id, std::string address) {
  if (id == options_.node_id) return;
  std::shared_ptr<Peer> old;
  {
    std::unique_lock<std::shared_mutex> lock(peers_mu_);
    std::shared_ptr<Peer>& slot = peers_[id];
    if (slot != nullptr && slot->address == address) return;
    old = std::move(slot);
    slot = MakePeer(id, address);
  }
  if (old != nullptr) ShutdownPeer(old);
}

void GrpcTransport::RemovePeer(raft::NodeId id) {
  std::shared_ptr<Peer> old;
  {
    std::unique_lock<std::shared_mutex> lock(peers_mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    old = std::move(it->second);
    peers_.erase(it);
  }
  ShutdownPeer(old);
}

GrpcTransport::Stats GrpcTransport::stats() const {
  Stats s;
  s.messages_sent = counters_->messages_sent;
  s.batches_sent = counters_->batches_sent;
  s.dropped_queue_full = counters_->dropped_queue_full;
  s.dropped_unreachable = counters_->dropped_unreachable;
  s.dropped_failed_write = counters_->dropped_failed_write;
  s.dropped_unknown_peer = dropped_unknown_peer_;
  s.streams_started = counters_->streams_started;
  return s;
}

std::map<raft::NodeId, uint64_t> GrpcTransport::SentBytesByPeer() const {
  std::shared_lock<std::shared_mutex> lock(peers_mu_);
  std::map<raft::NodeId, uint64_t> out;
  for (const auto& [id, peer] : peers_)
    out[id] = peer->sent_bytes->load(std::memory_order_relaxed);
  return out;
}

}  // namespace cairn::cluster
