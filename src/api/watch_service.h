#pragma once

#include "api/watch_hub.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// etcd's Watch service on gRPC's callback API. Each stream is one reactor
// registered with the hub: requests go to the hub as they are read; the hub
// wakes the reactor when it has responses, and the reactor writes them one
// at a time (one write in flight per stream).
class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(WatchHub* hub) : hub_(hub) {}

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

 private:
  WatchHub* hub_;
};

}  // namespace cairn::api
