#pragma once

#include <grpcpp/client_context.h>

#include <mutex>

namespace cairn::client {

// Lets another thread (a signal watcher) end a call that blocks without a
// deadline: a lock wait, a campaign, a watch. The call attaches its context
// while it runs; Cancel() cancels the attached context and every later one.
class Cancellation {
 public:
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (current_ != nullptr) current_->TryCancel();
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  // Returns false (and attaches nothing) when already cancelled.
  bool Attach(grpc::ClientContext* ctx) {
    std::lock_guard lock(mu_);
    if (cancelled_) return false;
    current_ = ctx;
    return true;
  }
  void Detach(grpc::ClientContext* ctx) {
    std::lock_guard lock(mu_);
    if (current_ == ctx) current_ = nullptr;
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  grpc::ClientContext* current_ = nullptr;
};

// Attaches a context for the lifetime of a scope (no-op without a
// Cancellation).
class AttachedContext {
 public:
  AttachedContext(Cancellation* cancellation, grpc::ClientContext* ctx)
      : cancellation_(cancellation), ctx_(ctx) {
    attached_ = cancellation_ == nullptr || cancellation_->Attach(ctx_);
  }
  ~AttachedContext() {
    if (cancellation_ != nullptr) cancellation_->Detach(ctx_);
  }
  AttachedContext(const AttachedContext&) = delete;
  AttachedContext& operator=(const AttachedContext&) = delete;
  // False when the Cancellation had already fired: do not start the call.
  bool attached() const { return attached_; }

 private:
  Cancellation* cancellation_;
  grpc::ClientContext* ctx_;
  bool attached_;
};

}  // namespace cairn::client
