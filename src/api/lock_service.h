#pragma once

#include "api/kv_backend.h"
#include "api/watch_hub.h"
#include "etcd/v3lockpb/v3lock.grpc.pb.h"

namespace cairn::api {

// etcd's v3lock service: Lock waits (without holding a thread) until the
// caller's key under "<name>/" is the oldest; Unlock deletes the key.
class LockService final : public v3lockpb::Lock::CallbackService {
 public:
  LockService(KvBackend* backend, WatchHub* hub) : backend_(backend), hub_(hub) {}

  grpc::ServerUnaryReactor* Lock(grpc::CallbackServerContext* ctx,
                                 const v3lockpb::LockRequest* request,
                                 v3lockpb::LockResponse* response) override;
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* ctx,
                                   const v3lockpb::UnlockRequest* request,
                                   v3lockpb::UnlockResponse* response) override;

 private:
  KvBackend* backend_;
  WatchHub* hub_;
};

}  // namespace cairn::api
