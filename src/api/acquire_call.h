#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "api/acquire.h"
#include "api/applied_reply.h"

namespace cairn::api {

// A unary call that waits for an Acquisition (Lock, Campaign): `fill` writes
// the response once acquired; a client giving up cancels the acquisition,
// which deletes the key it queued.
class AcquireCall final : public grpc::ServerUnaryReactor {
 public:
  using Fill = std::function<void(const Acquired&)>;

  AcquireCall(KvBackend* backend, WatchHub* hub, AcquireRequest request, Fill fill) {
    // Set before Run: once the acquisition finishes the call, `this` may go.
    acquisition_ = Acquisition::Make(backend, hub, std::move(request),
                                     [this, fill = std::move(fill)](Result<Acquired> r) {
                                       if (!r.ok()) {
                                         Finish(ToGrpc(r.status()));
                                         return;
                                       }
                                       fill(*r);
                                       Finish(grpc::Status::OK);
                                     });
    std::shared_ptr<Acquisition> a = acquisition_;
    a->Run();
  }

  void OnCancel() override { acquisition_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<Acquisition> acquisition_;
};

}  // namespace cairn::api
